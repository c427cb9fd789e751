import { Request, Response, Router } from 'express';
import { body } from 'express-validator';
import mongoose from 'mongoose';
import {
  BadRequestError,
  findByIdRaw,
  insertDocument,
  isDuplicateKeyError,
  isObjectId,
  Logger,
  NotFoundError,
  OrderStatus,
  PublishMeta,
  readReplica,
  requireAuth,
  validateRequest,
} from '@ticketing/common';
import { ActiveHold } from '../models/active-hold';
import { cancelOverdueOrder, holdEndsAt, Order, OrderAttrs, orderJson, StoredOrder } from '../models/order';
import { Ticket, TicketAttrs } from '../models/ticket';
import { recordUserOrder } from '../models/user-orders';
import { OrderCreatedPublisher } from '../events/publishers/order-created-publisher';

export interface NewOrderRouterDeps {
  /** The hold window: how long the buyer has to pay. */
  expirationSeconds: number;
  logger: Logger;
}

/** The reservation: this one insert, which the unique ticketLock refuses while another order holds the ticket. */
async function reserve(attrs: Omit<OrderAttrs, 'createdAt'> & { _id: string }): Promise<StoredOrder | undefined> {
  try {
    return await insertDocument(Order, attrs);
  } catch (err) {
    if (isDuplicateKeyError(err)) return undefined;
    throw err;
  }
}

/**
 * The ticket's lock refused us: when the order holding it is past its hold (expiration's
 * job lost or not yet run), end that hold now. True when the holder is cancelled — by us
 * or just before — so the reservation is worth one more try.
 */
async function releaseOverdueHolder(ticketId: string, meta: PublishMeta, logger: Logger): Promise<boolean> {
  const ticket = await Ticket.findById(ticketId, { heldBy: 1 }).lean();
  if (!ticket?.heldBy) return false;
  const { order, cancelled } = await cancelOverdueOrder(ticket.heldBy, meta);
  if (cancelled) {
    logger.info(
      { reqId: meta.requestId, orderId: order!.id, ticketId, holdEndedAt: holdEndsAt(order!).toISOString() },
      'hold over: order cancelled when its ticket was ordered again',
    );
  }
  return order?.status === OrderStatus.Cancelled;
}

/** POST /api/orders: reserves the ticket for the buyer (201), by the one insert its ticketLock admits. */
export function createNewOrderRouter({ expirationSeconds, logger }: NewOrderRouterDeps): Router {
  const router = Router();
  router.post(
    '/api/orders',
    requireAuth,
    // A malformed ticket id is this field error, as in GitTix, not the 404 of a malformed
    // id in the path: the client sent a bad field, it did not ask for a resource.
    [body('ticketId', 'TicketId must be provided').custom(isObjectId)],
    validateRequest,
    async (req: Request, res: Response) => {
      const ticketId = req.body.ticketId as string;
      // A ticket listed a moment ago may still be on its way here (ticket:created): waited
      // for, briefly, rather than answered 404 (common readReplica).
      // Read through the driver (common findByIdRaw): the fields are read, nothing is changed.
      const ticket = await readReplica(Ticket.modelName, ticketId, () => findByIdRaw<TicketAttrs>(Ticket, ticketId), {
        fromArrival: (stored) => stored as unknown as TicketAttrs,
      });
      if (!ticket) throw new NotFoundError();
      const userId = req.currentUser!.id;
      if (ticket.userId === userId) throw new BadRequestError('You cannot buy your own ticket');

      const id = new mongoose.Types.ObjectId().toHexString();
      const expiresAt = new Date(Date.now() + expirationSeconds * 1000);
      const meta = { requestId: req.id };
      const event = new OrderCreatedPublisher().toOutbox(
        {
          id,
          version: 0,
          status: OrderStatus.Created,
          userId,
          expiresAt: expiresAt.toISOString(),
          ticket: { id: ticket._id, price: ticket.price },
        },
        meta,
      );
      const attrs = {
        _id: id,
        userId,
        status: OrderStatus.Created,
        expiresAt,
        ticket: { id: ticket._id, title: ticket.title, price: ticket.price, version: ticket.version },
        ticketLock: ticket._id,
        version: 0,
        outbox: [event],
      };
      // Both before the order, side by side (neither needs the other):
      // - the hold's marker, for the sweeper: no order exists without one. Should we die
      //   before the insert, the sweeper finds no order for it and removes it;
      // - the buyer's list entry: the list finds orders by it, so no order exists that the
      //   list cannot find (see models/user-orders.ts).
      await Promise.all([insertDocument(ActiveHold, { _id: id, endsAt: expiresAt }), recordUserOrder(userId, id)]);
      // One retry, and only after the holder was cancelled: however many buyers race for
      // the ticket, the unique ticketLock still lets exactly one insert through.
      const order =
        (await reserve(attrs)) ?? ((await releaseOverdueHolder(ticket._id, meta, logger)) ? await reserve(attrs) : undefined);
      if (!order) {
        // Refused by the lock, so certainly not stored: our marker goes. (After any other
        // failure of the insert the order may exist after all, so the marker stays; the
        // sweeper removes it if not.)
        await ActiveHold.deleteOne({ _id: id }).catch((err) =>
          logger.warn({ err, reqId: req.id, orderId: id }, 'could not remove the hold marker of a refused reservation'),
        );
        throw new BadRequestError('Ticket is already reserved');
      }

      // The next refused buyer finds this hold on the ticket replica once tickets reports
      // the reservation (ticket:updated sets heldBy): no write here.
      res.status(201).send(orderJson(order));
    },
  );
  return router;
}
