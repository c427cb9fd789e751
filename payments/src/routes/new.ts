import express, { Request, Response, Router } from 'express';
import { body } from 'express-validator';
import mongoose from 'mongoose';
import {
  BadRequestError,
  isDuplicateKeyError,
  Logger,
  NotAuthorizedError,
  NotFoundError,
  OrderStatus,
  requireAuth,
  validateRequest,
} from '@ticketing/common';
import { Order } from '../models/order';
import { Payment } from '../models/payment';
import { PaymentCreatedPublisher } from '../events/publishers/payment-created-publisher';
import { clientErrorOf, StripeClient } from '../stripe';

const ALREADY_PAID = 'Order has already been paid';

export function createChargeRouter({ stripe, logger }: { stripe: StripeClient; logger: Logger }): Router {
  const router = express.Router();

  router.post(
    '/api/payments',
    requireAuth,
    body('token', 'Token must be provided').isString().trim().notEmpty(),
    body('orderId', 'OrderId must be provided').isString().trim().notEmpty(),
    validateRequest,
    async (req: Request, res: Response) => {
      const { token, orderId } = req.body as { token: string; orderId: string };
      const log = logger.child({ reqId: req.id, orderId });

      const order = await Order.findById(orderId).lean();
      if (!order) throw new NotFoundError();
      if (order.userId !== req.currentUser!.id) throw new NotAuthorizedError();
      if (order.status === OrderStatus.Cancelled) throw new BadRequestError('Cannot pay for a cancelled order');
      // Spares a sequential resubmit the Stripe call; the unique index below is what
      // actually guarantees one payment per order.
      if (await Payment.exists({ orderId })) throw new BadRequestError(ALREADY_PAID);
      // The hold is over: expiration is cancelling the order (its order:cancelled may still
      // be on the way). Charging now would take money for a ticket another buyer can get.
      if (order.expiresAt && order.expiresAt.getTime() <= Date.now()) {
        throw new BadRequestError('Cannot pay for a cancelled order');
      }

      const amount = Math.round(order.price * 100);
      let charge: { id: string };
      try {
        // The order id as idempotency key: a double submit or a retry after a timeout gets
        // the same charge back from Stripe instead of charging the card again.
        charge = await stripe.charges.create(
          { amount, currency: 'usd', source: token, metadata: { orderId } },
          { idempotencyKey: orderId },
        );
      } catch (err) {
        const clientError = clientErrorOf(err);
        if (!clientError) throw err;
        log.info({ status: clientError.statusCode, reason: clientError.message }, 'charge refused');
        throw clientError;
      }

      const id = new mongoose.Types.ObjectId().toHexString();
      const event = new PaymentCreatedPublisher().toOutbox(
        { id, orderId, stripeId: charge.id },
        { requestId: req.id, source: 'payments' },
      );
      try {
        await Payment.create({ _id: id, orderId, stripeId: charge.id, amount, outbox: [event] });
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
        // A simultaneous submit stored its payment first. With the same idempotency key it
        // got this very charge; a different charge id means the card was charged twice.
        const winner = await Payment.findOne({ orderId }, { stripeId: 1 }).lean();
        if (winner && winner.stripeId !== charge.id) {
          log.error({ stripeId: charge.id, keptStripeId: winner.stripeId }, 'order charged twice, refund needed');
        }
        throw new BadRequestError(ALREADY_PAID);
      }

      log.info({ paymentId: id, stripeId: charge.id, amount }, 'payment created');
      res.status(201).json({ id });
    },
  );

  return router;
}
