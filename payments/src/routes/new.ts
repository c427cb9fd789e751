import express, { Request, Response, Router } from 'express';
import { body } from 'express-validator';
import {
  BadRequestError,
  ConflictError,
  findByIdRaw,
  NotAuthorizedError,
  NotFoundError,
  OrderStatus,
  PaymentRequiredError,
  readReplica,
  requireAuth,
  ServiceUnavailableError,
  validateRequest,
} from '@ticketing/common';
import { Order, OrderAttrs } from '../models/order';
import { Payment, PaymentAttrs, PaymentStatus } from '../models/payment';
import { PaymentProcessor, Settlement, START_UNCONFIRMED } from '../payment-processor';
import { isIdempotencyConflict, refusalError } from '../stripe';

const ALREADY_PAID = 'Order has already been paid';
const CANCELLED = 'Cannot pay for a cancelled order';
const REFUNDED = 'Order was cancelled; the payment has been refunded';
const IN_PROGRESS = 'Payment already in progress';

/** The answer for a payment another request (or an earlier one) already settled or started. */
function answerStored(payment: PaymentAttrs): never {
  switch (payment.status) {
    case PaymentStatus.Pending:
      throw new ConflictError(IN_PROGRESS);
    case PaymentStatus.Refunding:
    case PaymentStatus.Refunded:
      throw new BadRequestError(REFUNDED);
    case PaymentStatus.Failed:
      // Only reached when a new attempt lost its compare-and-set: to a cancel, or to a
      // simultaneous new attempt.
      if (payment.orderCancelled) throw new BadRequestError(CANCELLED);
      throw new ConflictError(IN_PROGRESS);
    default:
      throw new BadRequestError(ALREADY_PAID);
  }
}

function answer(res: Response, settlement: Settlement): void {
  switch (settlement.outcome) {
    case 'succeeded':
      res.status(201).json({ id: settlement.payment.paymentId });
      return;
    case 'refunded':
      throw new BadRequestError(REFUNDED);
    case 'cancelled':
      throw new BadRequestError(CANCELLED);
    case 'failed':
      if (settlement.refusal) throw refusalError(settlement.refusal);
      throw new PaymentRequiredError(settlement.payment.failureReason || 'The payment failed');
    case 'busy':
      throw new ConflictError(IN_PROGRESS);
    case 'unavailable':
      throw new ServiceUnavailableError(START_UNCONFIRMED, 5);
    case 'taken':
      return answerStored(settlement.payment);
    case 'pending':
      // Stripe has a request with this key that is still running, or (from before payments
      // stored its attempts) one with other parameters: a replay will settle it.
      if (!settlement.error || isIdempotencyConflict(settlement.error)) throw new ConflictError(IN_PROGRESS);
      // A TransientError (Stripe unreachable, 5xx, timeout): 503 + Retry-After.
      throw settlement.error;
  }
}

/**
 * Whether the order, as its replica says, may be charged: not cancelled, and its hold not
 * over (expiration is then cancelling it, its order:cancelled maybe still on the way;
 * charging would take money for a ticket another buyer can get).
 */
function payable(order: OrderAttrs): boolean {
  if (order.status === OrderStatus.Cancelled) return false;
  return !(order.expiresAt && order.expiresAt.getTime() <= Date.now());
}

/** POST /api/payments: charges the buyer's card for their order, once (see PaymentProcessor). */
export function createNewPaymentRouter({ processor }: { processor: PaymentProcessor }): Router {
  const router = express.Router();

  router.post(
    '/api/payments',
    requireAuth,
    body('token', 'Token must be provided').isString().trim().notEmpty(),
    body('orderId', 'OrderId must be provided').isString().trim().notEmpty(),
    validateRequest,
    async (req: Request, res: Response) => {
      const { token, orderId } = req.body as { token: string; orderId: string };
      const meta = { requestId: req.id };

      // An order placed a moment ago may still be on its way here (order:created): waited
      // for, briefly, rather than answered 404 (common readReplica).
      const order = await readReplica(Order.modelName, orderId, () => findByIdRaw<OrderAttrs>(Order, orderId), {
        fromArrival: (stored) => stored as unknown as OrderAttrs,
      });
      if (!order) throw new NotFoundError();
      if (order.userId !== req.currentUser!.id) throw new NotAuthorizedError();

      let previous: PaymentAttrs | null;
      if (payable(order)) {
        // The common case, a first attempt: stored without looking for an earlier one first.
        // The insert keyed by the order id finds one if there is (a duplicate key: 'taken'),
        // and the request then decides on it exactly as below.
        const first = await processor.pay(order, token, null, meta);
        if (first.outcome !== 'taken') return answer(res, first);
        previous = first.payment;
      } else {
        previous = await Payment.findById(orderId).lean();
      }
      if (previous?.status === PaymentStatus.Pending) {
        // Never a new request under the stored key: the stored one is settled (a replay,
        // unless this process is sending it right now) and this request answered from it.
        // The token of this request is not used.
        return answer(res, await processor.settleStored(orderId, meta));
      }
      if (previous && previous.status !== PaymentStatus.Failed) answerStored(previous);

      if (!payable(order)) throw new BadRequestError(CANCELLED);
      answer(res, await processor.pay(order, token, previous, meta));
    },
  );

  return router;
}
