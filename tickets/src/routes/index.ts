import { Router } from 'express';
import { query } from 'express-validator';
import { validateRequest } from '@ticketing/common';
import { listedTickets } from '../models/listed-tickets';

export const DEFAULT_LIST_LIMIT = 100;

const WHOLE_NUMBER = /^[+-]?\d+$/;
/** A cursor is the id of the last ticket of the previous page (lower case, as we hand it out). */
const CURSOR = /^[0-9a-f]{24}$/;

// Any whole number is clamped to 1..100 (a client asking for 500 gets the cap, not an
// error); anything else (text, decimals, a repeated parameter) is a 400 on `limit`.
const listRules = [
  query('limit', 'Limit must be a whole number')
    .optional()
    .custom((v) => typeof v === 'string' && WHOLE_NUMBER.test(v)),
  query('before', 'Before must be a cursor from X-Next-Cursor')
    .optional()
    .custom((v) => typeof v === 'string' && CURSOR.test(v)),
];

const clampLimit = (raw: unknown) =>
  raw === undefined ? DEFAULT_LIST_LIMIT : Math.min(DEFAULT_LIST_LIMIT, Math.max(1, Number(raw)));

/**
 * The tickets for sale, newest first, from the in-process read model (never a database
 * query): see models/listed-tickets.ts for how fresh it is. The body stays a bare JSON
 * array (GitTix clients); the next page is announced in headers, absent on the last page.
 */
export function createIndexTicketRouter(): Router {
  const router = Router();
  router.get('/api/tickets', ...listRules, validateRequest, (req, res) => {
    const limit = clampLimit(req.query.limit);
    const page = listedTickets.page(limit, req.query.before as string | undefined);
    if (page.nextCursor) {
      res.set('X-Next-Cursor', page.nextCursor);
      res.set('Link', `</api/tickets?limit=${limit}&before=${page.nextCursor}>; rel="next"`);
    }
    res.type('application/json').send(page.json);
  });
  return router;
}
