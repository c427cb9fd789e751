import mongoose from 'mongoose';
import {
  deleteOneRaw,
  findByIdRaw,
  insertDocument,
  isDuplicateKeyError,
  Logger,
  OrderStatus,
  PublishMeta,
  updateAndReturn,
  updateOneRaw,
  waitForPublished,
} from '@ticketing/common';
import { Order, OrderAttrs } from './models/order';
import { idempotencyKeyOf, Payment, PaymentAttrs, PaymentStatus } from './models/payment';
import { OpenPayment } from './models/open-payment';
import { PaymentCreatedPublisher } from './events/publishers/payment-created-publisher';
import { PaymentFailedPublisher } from './events/publishers/payment-failed-publisher';
import { PaymentRefundedPublisher } from './events/publishers/payment-refunded-publisher';
import { PaymentStartedPublisher } from './events/publishers/payment-started-publisher';
import {
  asTransient,
  isDefinitiveRefusal,
  refusalError,
  STRIPE_CALL_DEADLINE_MS,
  StripeClient,
  withDeadline,
  stripeCall,
} from './stripe';

/**
 * How long orders keeps the hold after payment:started (its `holdUntil`): the Stripe call's
 * hard deadline (32 s) plus the writes around it (mongoose gives up on a write after 10 s
 * without a connection) and a little slack. Past it, a charge that still lands on an order
 * orders has cancelled meanwhile is refunded (the refund rule), never kept.
 */
export const HOLD_MS = STRIPE_CALL_DEADLINE_MS + 13_000;

type Refusal = Parameters<typeof refusalError>[0];

/** What became of a payment, for the route to answer and the reconciler to log. */
export type Settlement =
  | { outcome: 'succeeded'; payment: PaymentAttrs }
  /** The charge landed on a cancelled order: refunded, or the refund is owed and retried. */
  | { outcome: 'refunded'; payment: PaymentAttrs }
  /** Definitively not charged; `refusal` is Stripe's answer when this call got it. */
  | { outcome: 'failed'; payment: PaymentAttrs; refusal?: Refusal }
  /** The order was found cancelled after the attempt was stored: nothing was sent to Stripe. */
  | { outcome: 'cancelled'; payment: PaymentAttrs }
  /** Outcome unknown (Stripe unreachable, a timeout, a key conflict): left pending for a replay. */
  | { outcome: 'pending'; payment: PaymentAttrs; error?: unknown }
  /** Another attempt was stored first (another request or replica): answer from it. */
  | { outcome: 'taken'; payment: PaymentAttrs }
  /** This process is already charging this order. */
  | { outcome: 'busy' }
  /** payment:started could not be put on the bus in time: nothing was charged. */
  | { outcome: 'unavailable'; payment: PaymentAttrs };

/** What a buyer reads when the charge was not started because the bus is away. */
export const START_UNCONFIRMED = 'Payment could not be started right now; no charge was made, try again';

export interface OrderToPay {
  _id: string;
  price: number;
}

/**
 * Charges and refunds, shared by the route, the order:cancelled listener and the
 * reconciler. Each payment is stored before Stripe hears of it and every state change is a
 * compare-and-set on its status, so whoever settles a payment (the request, a replay after
 * a crash, a second request) changes it once and stores its event in the same write.
 */
export class PaymentProcessor {
  /** Orders whose charge (start, Stripe call, settlement) runs in this process now. */
  private readonly charging = new Set<string>();
  /** Orders whose refund call runs in this process now. */
  private readonly refunding = new Set<string>();

  constructor(
    private readonly stripe: StripeClient,
    private readonly logger: Logger,
    private readonly stripeDeadlineMs = STRIPE_CALL_DEADLINE_MS,
    /**
     * How long to wait for payment:started to be on the bus before charging; 0 = do not
     * wait (tests without a relay). The buyer's hold is extended only once orders has that
     * event: charging without it could let the hold run out under a charge in flight.
     */
    private readonly startConfirmMs = 0,
  ) {}

  /** True while this process is charging or refunding the order's payment. */
  isBusy(orderId: string): boolean {
    return this.charging.has(orderId) || this.refunding.has(orderId);
  }

  /**
   * A new attempt: stores the pending payment with its exact charge request and
   * payment:started, then charges. `previous` is the failed attempt it replaces, if any:
   * only a definitively failed attempt makes way for a new key.
   */
  pay(order: OrderToPay, token: string, previous: PaymentAttrs | null, meta: PublishMeta): Promise<Settlement> {
    const orderId = order._id;
    return this.exclusive(orderId, async () => {
      const attempt = previous ? previous.attempt + 1 : 1;
      const paymentId = new mongoose.Types.ObjectId().toHexString();
      const amount = Math.round(order.price * 100);
      const fields = {
        paymentId,
        attempt,
        status: PaymentStatus.Pending,
        idempotencyKey: idempotencyKeyOf(orderId, attempt),
        charge: { amount, currency: 'usd', source: token, metadata: { orderId } },
        amount,
      };
      const started = new PaymentStartedPublisher().toOutbox(
        { id: paymentId, orderId, holdUntil: new Date(Date.now() + HOLD_MS).toISOString() },
        meta,
      );

      // Before the payment can be pending, so the reconciler can never miss it. A first
      // attempt may find a payment already stored (the route stores before it looks): it
      // then leaves a marker it finds as it is, since that may be another attempt's, open.
      const marked = await this.markOpen(orderId, paymentId, !previous);
      let payment: PaymentAttrs | null;
      if (!previous) {
        try {
          // Built here from the checked request: no mongoose document needed (insertDocument).
          const { outbox: _stored, ...inserted } = await insertDocument(Payment, { _id: orderId, orderId, ...fields, outbox: [started] });
          payment = inserted as PaymentAttrs;
        } catch (err) {
          // The unique _id (and orderId, which also covers payments stored before _id was
          // the order id): another request stored its attempt first.
          if (!isDuplicateKeyError(err)) throw err;
          // Our marker, when we wrote one, marks nothing: removed (only if still ours).
          if (marked) await this.markSettled({ _id: orderId, orderId, paymentId });
          return { outcome: 'taken', payment: await this.stored(orderId) };
        }
      } else {
        payment = await Payment.findOneAndUpdate(
          { _id: orderId, status: PaymentStatus.Failed, attempt: previous.attempt, orderCancelled: false },
          {
            $set: fields,
            $unset: { stripeId: 1, failureReason: 1 },
            $push: {
              outbox: started,
              failedAttempts: {
                paymentId: previous.paymentId,
                idempotencyKey: previous.idempotencyKey,
                reason: previous.failureReason ?? '',
              },
            },
          },
          { new: true },
        ).lean();
        if (!payment) return { outcome: 'taken', payment: await this.stored(orderId) };
      }

      // Read the replica only now, after the attempt is stored: see orderCancelled().
      const current = await findByIdRaw<Pick<OrderAttrs, 'status'>>(Order, orderId, { status: 1 });
      if (current?.status === OrderStatus.Cancelled) {
        const settled = await this.fail(payment, 'Order was cancelled', undefined, meta);
        return settled.outcome === 'failed' ? { outcome: 'cancelled', payment: settled.payment } : settled;
      }
      if (this.startConfirmMs > 0 && !(await waitForPublished(started.id, this.startConfirmMs))) {
        // The bus is away: orders cannot learn that the hold must wait for this charge.
        // Charge nothing; the attempt fails (payment:failed goes out with the outbox later).
        this.log(payment).warn({ waitedMs: this.startConfirmMs }, 'payment:started not on the bus in time, not charging');
        const settled = await this.fail(payment, START_UNCONFIRMED, undefined, meta);
        return settled.outcome === 'failed' ? { outcome: 'unavailable', payment: settled.payment } : settled;
      }
      return this.charge(payment, meta);
    });
  }

  /**
   * Settles a stored payment this process is not working on (its request crashed, timed
   * out or lost its database): a pending one by replaying the stored charge request with
   * the same idempotency key, so Stripe answers with the original result (or makes the
   * charge now if the first request never reached it); a refunding one by refunding.
   */
  settleStored(orderId: string, meta: PublishMeta): Promise<Settlement> {
    return this.exclusive(orderId, async () => {
      const payment = await this.stored(orderId);
      if (payment.status === PaymentStatus.Pending) {
        this.log(payment).info({ idempotencyKey: payment.idempotencyKey }, 'replaying the stored charge request');
        return this.charge(payment, meta);
      }
      if (payment.status === PaymentStatus.Refunding) {
        await this.refund(payment, meta);
        return this.outcomeOf(await this.stored(orderId));
      }
      return this.outcomeOf(payment);
    });
  }

  /**
   * The refund rule, order:cancelled's side. Called after the replica is cancelled.
   *
   * Why a charge on a cancelled order cannot slip through, nor be refunded twice: the
   * payment document is the one place both sides meet, and each side writes before it
   * reads the other's state.
   * - Here: set `orderCancelled` and read the payment's status in ONE atomic write. If it
   *   is succeeded, the charge was accepted before the cancel reached the document: claim
   *   the refund (succeeded → refunding). If pending, the charger's accepting write
   *   (pending → succeeded) requires `orderCancelled: false`, so it cannot succeed any more:
   *   the charger claims the refund instead (pending → refunding) when Stripe answers.
   * - A payment stored after this ran finds the cancel because `pay()` reads the replica
   *   only after storing the attempt, and the replica was cancelled before this ran.
   * (Each single-document write is atomic: MongoDB guarantees it, FerretDB's gate serialises
   * them; both sides write before they read, so at least one of them sees the other.)
   * Every transition is a compare-and-set on the status, so exactly one writer moves the
   * payment to refunding, and only that writer calls Stripe (a replay after a crash uses
   * the same idempotency key `refund:<paymentId>`, so Stripe still refunds once).
   */
  async orderCancelled(orderId: string, meta: PublishMeta): Promise<void> {
    const payment = await Payment.findOneAndUpdate(
      { _id: orderId },
      { $set: { orderCancelled: true } },
      { new: true },
    ).lean();
    if (!payment) return;
    if (payment.status === PaymentStatus.Succeeded) {
      await this.markOpen(orderId, payment.paymentId);
      const owed = await Payment.findOneAndUpdate(
        { _id: orderId, paymentId: payment.paymentId, status: PaymentStatus.Succeeded },
        { $set: { status: PaymentStatus.Refunding } },
        { new: true },
      ).lean();
      if (owed) {
        this.log(owed).warn({ stripeId: owed.stripeId }, 'order cancelled after its payment succeeded, refunding');
        await this.refund(owed, meta);
      }
    } else if (payment.status === PaymentStatus.Refunding) {
      // A redelivery after a crash mid-refund: same key, so Stripe refunds once.
      await this.refund(payment, meta);
    }
  }

  /** Runs `work` as this process's only work on the order's charge; 'busy' if one runs. */
  private async exclusive(orderId: string, work: () => Promise<Settlement>): Promise<Settlement> {
    // Checked and taken with no await in between: two requests in this process cannot both pass.
    if (this.charging.has(orderId)) return { outcome: 'busy' };
    this.charging.add(orderId);
    try {
      return await work();
    } finally {
      this.charging.delete(orderId);
    }
  }

  private async charge(payment: PaymentAttrs, meta: PublishMeta): Promise<Settlement> {
    const log = this.log(payment);
    let charge: { id: string };
    try {
      // The stored request, exactly: a replay under the same key never differs from the original.
      charge = await withDeadline(
        () => stripeCall('charges.create', () => this.stripe.charges.create(payment.charge, { idempotencyKey: payment.idempotencyKey })),
        this.stripeDeadlineMs,
      );
    } catch (err) {
      if (isDefinitiveRefusal(err)) {
        log.info({ status: refusalError(err).statusCode, reason: err.message, code: err.code }, 'charge refused');
        return this.fail(payment, err.message || 'Stripe refused the charge', err, meta);
      }
      log.warn({ err }, 'charge outcome unknown, payment left pending');
      return { outcome: 'pending', payment, error: asTransient(err) ?? err };
    }
    return this.accept(payment, charge.id, meta);
  }

  /** Stripe took the money: accept it, or refund it when the order was cancelled meanwhile. */
  private async accept(payment: PaymentAttrs, stripeId: string, meta: PublishMeta): Promise<Settlement> {
    const log = this.log(payment);
    const { _id, paymentId } = payment;
    const created = new PaymentCreatedPublisher().toOutbox({ id: paymentId, orderId: _id, stripeId }, meta);
    // The driver's write (common updateAndReturn): the settlement of every payment.
    const succeeded = await updateAndReturn<PaymentAttrs>(
      Payment,
      { _id, paymentId, status: PaymentStatus.Pending, orderCancelled: false },
      { $set: { status: PaymentStatus.Succeeded, stripeId }, $push: { outbox: created } },
    );
    if (succeeded) {
      log.info({ stripeId, amount: payment.amount }, 'payment created');
      await this.markSettled(succeeded);
      return { outcome: 'succeeded', payment: succeeded };
    }
    const owed = await Payment.findOneAndUpdate(
      { _id, paymentId, status: PaymentStatus.Pending, orderCancelled: true },
      { $set: { status: PaymentStatus.Refunding, stripeId } },
      { new: true },
    ).lean();
    if (owed) {
      log.warn({ stripeId }, 'charge landed on a cancelled order, refunding');
      await this.refund(owed, meta);
      return { outcome: 'refunded', payment: await this.stored(_id) };
    }
    // Settled meanwhile by a replay elsewhere: with the same key it saw this very charge.
    return this.outcomeOf(await this.stored(_id));
  }

  private async fail(payment: PaymentAttrs, reason: string, refusal: Refusal | undefined, meta: PublishMeta): Promise<Settlement> {
    const event = new PaymentFailedPublisher().toOutbox(
      { id: payment.paymentId, orderId: payment._id, reason: reason.slice(0, 500) },
      meta,
    );
    const failed = await Payment.findOneAndUpdate(
      { _id: payment._id, paymentId: payment.paymentId, status: PaymentStatus.Pending },
      { $set: { status: PaymentStatus.Failed, failureReason: reason }, $push: { outbox: event } },
      { new: true },
    ).lean();
    if (!failed) return this.outcomeOf(await this.stored(payment._id));
    await this.markSettled(failed);
    return { outcome: 'failed', payment: failed, refusal };
  }

  /**
   * Refunds a payment in `refunding`, then marks it refunded with payment:refunded. A failure
   * leaves it refunding for the reconciler, which calls again with the same key.
   */
  private async refund(payment: PaymentAttrs, meta: PublishMeta): Promise<void> {
    const { _id, paymentId, stripeId } = payment;
    if (this.refunding.has(_id) || !stripeId) return;
    this.refunding.add(_id);
    const log = this.log(payment);
    try {
      const refund = await withDeadline(
        () =>
          stripeCall('refunds.create', () =>
            this.stripe.refunds.create(
              { charge: stripeId, amount: payment.amount, metadata: { orderId: _id, paymentId } },
              { idempotencyKey: `refund:${paymentId}` },
            ),
          ),
        this.stripeDeadlineMs,
      );
      const event = new PaymentRefundedPublisher().toOutbox(
        { id: paymentId, orderId: _id, stripeId, refundId: refund.id, amount: refund.amount },
        meta,
      );
      const refunded = await Payment.findOneAndUpdate(
        { _id, paymentId, status: PaymentStatus.Refunding },
        { $set: { status: PaymentStatus.Refunded, refund: { id: refund.id, amount: refund.amount } }, $push: { outbox: event } },
        { new: true },
      ).lean();
      if (refunded) {
        log.info({ stripeId, refundId: refund.id, amount: refund.amount }, 'payment refunded');
        await this.markSettled(refunded);
      }
    } catch (err) {
      if (isDefinitiveRefusal(err)) log.error({ err, stripeId }, 'Stripe refused the refund, needs attention');
      else log.warn({ err, stripeId }, 'refund not confirmed, the reconciler will retry');
    } finally {
      this.refunding.delete(_id);
    }
  }

  /**
   * Writes the attempt's marker; with `unlessMarked`, only when the order has none (a marker
   * names one attempt, and the reconciler finds the payment by the order id either way).
   * True when the marker now names this attempt.
   */
  private async markOpen(orderId: string, paymentId: string, unlessMarked = false): Promise<boolean> {
    const fields = { paymentId, openedAt: new Date() };
    const res = await updateOneRaw(OpenPayment, { _id: orderId }, unlessMarked ? { $setOnInsert: fields } : { $set: fields }, { upsert: true });
    return res.upsertedCount > 0 || res.modifiedCount > 0;
  }

  /** Removes the attempt's marker; one left behind (a crash, a lost write) the reconciler removes. */
  private async markSettled(payment: Pick<PaymentAttrs, '_id' | 'orderId' | 'paymentId'>): Promise<void> {
    try {
      await deleteOneRaw(OpenPayment, { _id: payment._id, paymentId: payment.paymentId });
    } catch (err) {
      this.log(payment).warn({ err }, 'could not remove the open-payment marker, the reconciler will');
    }
  }

  /** The settlement a stored payment stands for, when another writer settled it. */
  private outcomeOf(payment: PaymentAttrs): Settlement {
    switch (payment.status) {
      case PaymentStatus.Pending:
        return { outcome: 'pending', payment };
      case PaymentStatus.Failed:
        return { outcome: 'failed', payment };
      case PaymentStatus.Refunding:
      case PaymentStatus.Refunded:
        return { outcome: 'refunded', payment };
      default:
        // Succeeded, or a payment stored before payments had statuses (they all succeeded).
        return { outcome: 'succeeded', payment };
    }
  }

  private async stored(orderId: string): Promise<PaymentAttrs> {
    const payment =
      (await Payment.findById(orderId).lean()) ??
      // Payments stored before the order id was their _id: only reached after a duplicate key.
      (await Payment.findOne({ orderId }).lean());
    if (!payment) throw new Error(`payment of order ${orderId} vanished`);
    return payment;
  }

  private log(payment: Pick<PaymentAttrs, 'orderId' | 'paymentId'>): Logger {
    return this.logger.child({ orderId: payment.orderId, paymentId: payment.paymentId });
  }
}
