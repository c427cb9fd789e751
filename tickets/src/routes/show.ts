import { Router } from 'express';
import { NotFoundError, requireObjectIdParam } from '@ticketing/common';
import { Ticket } from '../models/ticket';

export const showTicketRouter = Router();

showTicketRouter.get('/api/tickets/:id', requireObjectIdParam('id'), async (req, res) => {
  const ticket = await Ticket.findById(req.params.id);
  if (!ticket) throw new NotFoundError();
  res.send(ticket);
});
