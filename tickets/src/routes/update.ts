import { Router } from 'express';
import {
  BadRequestError,
  NotAuthorizedError,
  NotFoundError,
  requireAuth,
  requireObjectIdParam,
  validateRequest,
} from '@ticketing/common';
import { changeTicket, saveNextVersion, ticketJson } from '../models/ticket';
import { listedTickets } from '../models/listed-tickets';
import { ticketBodyRules } from './ticket-body';

/**
 * PUT /api/tickets/:id: the owner edits a free ticket, the next version with its
 * ticket:updated. Checks in the documented order: 401, 400 fields, 404 (a malformed id too),
 * 401 owner, 400 reserved.
 */
export function createUpdateTicketRouter(): Router {
  const router = Router();
  router.put(
    '/api/tickets/:id',
    requireAuth,
    ...ticketBodyRules,
    validateRequest,
    requireObjectIdParam('id'),
    async (req, res) => {
      const { title, price } = req.body as { title: string; price: number };
      // A lost compare-and-set re-reads and checks again: the ticket may have been reserved
      // meanwhile (400), or another edit of the owner landed first (retried, never lost).
      const ticket = await changeTicket(req.params.id as string, (current) => {
        if (!current) throw new NotFoundError();
        if (current.userId !== req.currentUser!.id) throw new NotAuthorizedError();
        if (current.orderId) throw new BadRequestError('Cannot edit a reserved ticket');
        return { write: () => saveNextVersion(current, { title, price }, req.id) };
      });
      listedTickets.applyStored(ticket);
      res.send(ticketJson(ticket));
    },
  );
  return router;
}
