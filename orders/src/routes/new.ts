import { Request, Response, Router } from 'express';
import { body } from 'express-validator';
import mongoose from 'mongoose';
import {
  BadRequestError,
  isDuplicateKeyError,
  isObjectId,
  NotFoundError,
  OrderStatus,
  requireAuth,
  validateRequest,
} from '@ticketing/common';
import { SERVICE_NAME } from '../config';
import { Order } from '../models/order';
import { Ticket } from '../models/ticket';
import { OrderCreatedPublisher } from '../events/publishers/order-created-publisher';

export interface NewOrderOptions {
  /** The hold window: how long the buyer has to pay. */
  expirationSeconds: number;
}

export function createOrderRouter({ expirationSeconds }: NewOrderOptions): Router {
  const router = Router();
  router.post(
    '/api/orders',
    requireAuth,
    // A malformed ticket id is this field error, as in GitTix, not the 404 of a malformed
    // id in the path: the client sent a bad field, it did not ask for a resource.
    [body('ticketId', 'TicketId must be provided').custom(isObjectId)],
    validateRequest,
    async (req: Request, res: Response) => {
      const ticket = await Ticket.findById(req.body.ticketId as string);
      if (!ticket) throw new NotFoundError();
      const userId = req.currentUser!.id;
      if (ticket.userId === userId) throw new BadRequestError('You cannot buy your own ticket');

      const id = new mongoose.Types.ObjectId().toHexString();
      const expiresAt = new Date(Date.now() + expirationSeconds * 1000);
      const event = new OrderCreatedPublisher().toOutbox(
        {
          id,
          version: 0,
          status: OrderStatus.Created,
          userId,
          expiresAt: expiresAt.toISOString(),
          ticket: { id: ticket.id, price: ticket.price },
        },
        { requestId: req.id, source: SERVICE_NAME },
      );
      try {
        // The reservation is this one insert: the unique ticketLock refuses a second active
        // order for the ticket, however many buyers race for it.
        const order = await Order.create({
          _id: id,
          userId,
          status: OrderStatus.Created,
          expiresAt,
          ticket: { id: ticket.id, title: ticket.title, price: ticket.price, version: ticket.version },
          ticketLock: ticket.id,
          version: 0,
          outbox: [event],
        });
        res.status(201).send(order);
      } catch (err) {
        if (isDuplicateKeyError(err)) throw new BadRequestError('Ticket is already reserved');
        throw err;
      }
    },
  );
  return router;
}
