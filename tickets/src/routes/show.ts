import { Router } from 'express';
import { NotFoundError, requireObjectIdParam } from '@ticketing/common';
import { Ticket } from '../models/ticket';

/** GET /api/tickets/:id: one ticket, by `_id`. */
export function createShowTicketRouter(): Router {
  const router = Router();
  router.get('/api/tickets/:id', requireObjectIdParam('id'), async (req, res) => {
    const ticket = await Ticket.findById(req.params.id);
    if (!ticket) throw new NotFoundError();
    res.send(ticket);
  });
  return router;
}
