import { Router } from 'express';
import mongoose from 'mongoose';
import { insertDocument, requireAuth, validateRequest } from '@ticketing/common';
import { Ticket, ticketJson } from '../models/ticket';
import { listedTickets } from '../models/listed-tickets';
import { TicketCreatedPublisher } from '../events/publishers/ticket-created-publisher';
import { ticketBodyRules } from './ticket-body';

/** POST /api/tickets: a new listing at version 0, its ticket:created in the same insert. */
export function createNewTicketRouter(): Router {
  const router = Router();
  router.post('/api/tickets', requireAuth, ...ticketBodyRules, validateRequest, async (req, res) => {
    const { title, price } = req.body as { title: string; price: number };
    const userId = req.currentUser!.id;
    const _id = new mongoose.Types.ObjectId();
    const created = new TicketCreatedPublisher().toOutbox(
      { id: _id.toHexString(), version: 0, title, price, userId },
      { requestId: req.id },
    );
    // The rules above checked and trimmed the fields: no mongoose document needed (insertDocument).
    const ticket = await insertDocument(Ticket, { _id, title, price, userId, version: 0, outbox: [created] });
    // Before the 201: the seller's next list request on this replica shows the ticket.
    listedTickets.applyStored(ticket);
    res.status(201).send(ticketJson(ticket));
  });
  return router;
}
