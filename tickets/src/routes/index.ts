import { Router } from 'express';
import { query } from 'express-validator';
import { validateRequest } from '@ticketing/common';
import { Ticket } from '../models/ticket';

export const DEFAULT_LIST_LIMIT = 100;

export const indexTicketRouter = Router();

const WHOLE_NUMBER = /^[+-]?\d+$/;

// Any whole number is clamped to 1..100 (a client asking for 500 gets the cap, not an
// error); anything else (text, decimals, a repeated parameter) is a 400 on `limit`.
const listRules = [
  query('limit', 'Limit must be a whole number')
    .optional()
    .custom((v) => typeof v === 'string' && WHOLE_NUMBER.test(v)),
];

const clampLimit = (raw: unknown) =>
  raw === undefined ? DEFAULT_LIST_LIMIT : Math.min(DEFAULT_LIST_LIMIT, Math.max(1, Number(raw)));

indexTicketRouter.get('/api/tickets', ...listRules, validateRequest, async (req, res) => {
  const tickets = await Ticket.find({ orderId: { $exists: false } })
    .sort({ createdAt: -1, _id: -1 })
    .limit(clampLimit(req.query.limit));
  res.send(tickets);
});
