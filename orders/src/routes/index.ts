import { Request, Response, Router } from 'express';
import { query } from 'express-validator';
import { findByIdRaw, isObjectId, requireAuth, validateRequest } from '@ticketing/common';
import { completedOrder, keepIfComplete } from '../models/completed-orders';
import { Order, orderJson } from '../models/order';
import { pullMissingOrders, UserOrders, UserOrdersAttrs } from '../models/user-orders';

export const MAX_LIST_LIMIT = 100;

const WHOLE_NUMBER = /^\d+$/;

// Strict, unlike the tickets list which clamps: a page size out of range is the client's
// bug, and a cursor that is not one we issued names no position.
const listRules = [
  query('limit', `Limit must be a whole number from 1 to ${MAX_LIST_LIMIT}`)
    .optional()
    .custom((v) => typeof v === 'string' && WHOLE_NUMBER.test(v) && Number(v) >= 1 && Number(v) <= MAX_LIST_LIMIT),
  query('before', 'Cursor is not valid').optional().custom(isObjectId),
];

type OrderView = ReturnType<typeof orderJson>;

/**
 * The user's orders among `ids`, as the client sees them. Complete orders this process
 * keeps (models/completed-orders.ts: a complete order never changes) cost no read; the rest
 * come in one `_id: {$in}` read (lean): MongoDB serves it from the _id index; on FerretDB our
 * gate answers it from one `_id` lookup per id (tools/README.md; FerretDB alone would decode
 * every order: 1.1 s at 20,000). Complete orders read here are kept for the next list.
 */
async function ownOrders(ids: string[], userId: string): Promise<Map<string, OrderView>> {
  const views = new Map<string, OrderView>();
  const show = (view: OrderView) => {
    if (view.userId === userId) views.set(view.id.toLowerCase(), view);
  };
  const toRead: string[] = [];
  for (const id of ids) {
    const kept = completedOrder(id);
    if (kept) show(kept);
    else toRead.push(id);
  }
  if (toRead.length > 0) {
    for (const stored of await Order.find({ _id: { $in: toRead } }).lean()) {
      const view = orderJson(stored);
      keepIfComplete(view);
      show(view);
    }
  }
  return views;
}

/**
 * The user's own orders, newest first, a page at a time, by `_id` reads only: the user's
 * index document (models/user-orders.ts), then the page's orders and one more in a single
 * `_id: {$in}` read (two commands for a page, whatever its size; one when every order on it
 * is a complete one this process keeps).
 * The cursor is the id of the last order on the page: the next page is the ids smaller
 * than it (ObjectIds start with their creation second, so id order is creation order).
 * An id without an order is skipped (and pulled once it is old); the next-page headers are
 * sent only when an order after the page exists, as the `limit + 1` query did.
 */
export function createIndexOrderRouter(): Router {
  const router = Router();
  router.get('/api/orders', requireAuth, ...listRules, validateRequest, async (req: Request, res: Response) => {
    const userId = req.currentUser!.id;
    const limit = req.query.limit === undefined ? MAX_LIST_LIMIT : Number(req.query.limit);
    const before = (req.query.before as string | undefined)?.toLowerCase();
    // By `_id` through the driver (common findByIdRaw): the one command of a page of complete orders.
    const index = await findByIdRaw<Pick<UserOrdersAttrs, 'orderIds'>>(UserOrders, userId, { orderIds: 1 });
    // Hex ids of one length: string order is ObjectId order.
    const candidates = (index?.orderIds ?? [])
      .map((id) => id.toLowerCase())
      .filter((id) => before === undefined || id < before)
      .sort()
      .reverse();

    const page: OrderView[] = [];
    const missing: string[] = [];
    let more = false;
    let next = 0;
    while (!more && next < candidates.length) {
      // The rest of the page plus one: the first order after the page says there is a next page.
      const batch = candidates.slice(next, next + (limit - page.length) + 1);
      next += batch.length;
      const found = await ownOrders(batch, userId);
      for (const id of batch) {
        const order = found.get(id);
        if (!order) missing.push(id);
        else if (page.length < limit) page.push(order);
        else {
          more = true;
          break;
        }
      }
    }
    // Best effort: an id left behind is only skipped again, and pulled by a later list.
    if (missing.length > 0) await pullMissingOrders(userId, missing).catch(() => undefined);

    if (more) {
      const cursor = page[page.length - 1].id;
      res.setHeader('X-Next-Cursor', cursor);
      res.setHeader('Link', `</api/orders?limit=${limit}&before=${cursor}>; rel="next"`);
    }
    res.send(page);
  });
  return router;
}
