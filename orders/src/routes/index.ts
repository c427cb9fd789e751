import { Request, Response, Router } from 'express';
import { query } from 'express-validator';
import { isObjectId, requireAuth, validateRequest } from '@ticketing/common';
import { Order } from '../models/order';

export const MAX_LIST_LIMIT = 100;

export const indexOrderRouter = Router();

const WHOLE_NUMBER = /^\d+$/;

// Strict, unlike the tickets list which clamps: a page size out of range is the client's
// bug, and a cursor that is not one we issued names no position.
const listRules = [
  query('limit', `Limit must be a whole number from 1 to ${MAX_LIST_LIMIT}`)
    .optional()
    .custom((v) => typeof v === 'string' && WHOLE_NUMBER.test(v) && Number(v) >= 1 && Number(v) <= MAX_LIST_LIMIT),
  query('before', 'Cursor is not valid').optional().custom(isObjectId),
];

/**
 * The user's own orders, newest first, a page at a time. The cursor is the id of the last
 * order on the page: the next page is the orders with a smaller _id (ObjectIds start with
 * their creation second, so _id order is creation order), which real MongoDB serves from
 * the {userId, _id} index with no sort in memory and no skip, however deep the page.
 */
indexOrderRouter.get('/api/orders', requireAuth, ...listRules, validateRequest, async (req: Request, res: Response) => {
  const limit = req.query.limit === undefined ? MAX_LIST_LIMIT : Number(req.query.limit);
  const before = req.query.before as string | undefined;
  const orders = await Order.find({ userId: req.currentUser!.id, ...(before && { _id: { $lt: before } }) })
    .sort({ _id: -1 })
    // One more than the page: whether a next page exists, without a count.
    .limit(limit + 1);
  const page = orders.slice(0, limit);
  if (orders.length > limit) {
    const cursor = page[page.length - 1].id;
    res.setHeader('X-Next-Cursor', cursor);
    res.setHeader('Link', `</api/orders?limit=${limit}&before=${cursor}>; rel="next"`);
  }
  res.send(page);
});
