import mongoose, { HydratedDocument, Schema } from 'mongoose';
import {
  compareAndSet,
  Decision,
  deleteOneRaw,
  isObjectId,
  OrderStatus,
  OutboxEntry,
  outboxPlugin,
  PublishMeta,
  updateAndReturn,
  updateOneRaw,
} from '@ticketing/common';
import { busSettled, paymentEventWaiting } from '../bus-settled';
import { OrderCancelledPublisher } from '../events/publishers/order-cancelled-publisher';
import { ActiveHold } from './active-hold';
import { keepIfComplete } from './completed-orders';

/** What the buyer reserved, as it was when the order was placed. */
export interface OrderTicket {
  id: string;
  title: string;
  price: number;
  version: number;
}

export type PaymentStatus = 'pending' | 'paid' | 'failed' | 'refunded';

/** What orders knows of the payment for this order, from the payments service's events. */
export interface OrderPayment {
  /** The payments service's payment id. */
  id: string;
  status: PaymentStatus;
  /** Why the charge failed (payment:failed). */
  reason?: string;
  /**
   * The holdUntil of the latest attempt seen, kept after it failed: a payment:started of that
   * attempt or an earlier one, delivered again later, must not extend the hold again.
   */
  holdUntil?: Date;
  /** The payment:failed applied last, so its redelivery is a no-op. */
  failedEventId?: string;
}

export interface OrderRefund {
  /** Stripe's refund id (re_…). */
  id: string;
  /** Integer cents, as Stripe refunded it. */
  amount: number;
}

export interface OrderAttrs {
  userId: string;
  status: OrderStatus;
  expiresAt: Date;
  /**
   * Set while a payment is in flight (payment:started): the hold lasts until the later of
   * expiresAt and holdUntil. Not counted in `version` — replicas of the order require
   * contiguous versions, and no event tells them about it — but in `holdVersion`, which
   * every status change compares too (see changeOrderStatus).
   */
  holdUntil?: Date;
  ticket: OrderTicket;
  /**
   * One ticket, one active order, enforced by a unique index: an active order holds the
   * ticket id here, a cancelled one `released:<order id>`. FerretDB has no partial indexes,
   * so the index covers every order and cancelling moves the value out of the ticket's way.
   */
  ticketLock: string;
  /** 0 on create, +1 on every status change: the compare-and-set token. */
  version: number;
  /**
   * +1 on every write of the payment's steps (holdUntil, payment, refund), which leave
   * `version` alone: the second compare-and-set token. Absent until the first such write.
   */
  holdVersion?: number;
  /** The payment that completed the order, to tell a redelivery from a second charge. */
  paymentId?: string;
  payment?: OrderPayment;
  /** The refund of a charge that landed on this order after it was cancelled. */
  refund?: OrderRefund;
  outbox: OutboxEntry[];
  createdAt: Date;
}

export type OrderDoc = HydratedDocument<OrderAttrs>;

const orderSchema = new Schema<OrderAttrs>(
  {
    userId: { type: String, required: true },
    status: { type: String, required: true, enum: Object.values(OrderStatus) },
    expiresAt: { type: Date, required: true },
    holdUntil: { type: Date },
    ticket: {
      id: { type: String, required: true },
      title: { type: String, required: true },
      price: { type: Number, required: true },
      version: { type: Number, required: true },
    },
    ticketLock: { type: String, required: true, unique: true },
    version: { type: Number, required: true },
    holdVersion: { type: Number },
    paymentId: { type: String },
    payment: {
      type: new Schema(
        {
          id: { type: String, required: true },
          status: { type: String, required: true, enum: ['pending', 'paid', 'failed', 'refunded'] },
          reason: { type: String },
          holdUntil: { type: Date },
          failedEventId: { type: String },
        },
        { _id: false },
      ),
    },
    refund: {
      type: new Schema({ id: { type: String, required: true }, amount: { type: Number, required: true } }, { _id: false }),
    },
  },
  {
    versionKey: false,
    timestamps: { createdAt: true, updatedAt: false },
    toJSON: { transform: (_doc, ret) => orderJson(ret as StoredOrder) },
  },
);

/** An order as stored: what a lean read returns. */
export type StoredOrder = OrderAttrs & { _id: unknown };

/**
 * What a client sees of an order, from the stored fields (a lean read, or a document's
 * toJSON). A whitelist: internal fields (ticketLock, holdUntil, paymentId, outbox) never
 * reach a client.
 */
export function orderJson(ret: StoredOrder) {
  return {
    id: String(ret._id),
    userId: ret.userId,
    status: ret.status,
    expiresAt: ret.expiresAt,
    ticket: { id: ret.ticket.id, title: ret.ticket.title, price: ret.ticket.price, version: ret.ticket.version },
    version: ret.version,
    ...paymentJson(ret),
    ...(ret.refund && { refund: { id: ret.refund.id, amount: ret.refund.amount } }),
  };
}

function paymentJson(ret: Partial<OrderAttrs>): { payment?: { status: PaymentStatus; reason?: string } } {
  if (ret.payment) {
    const { status, reason } = ret.payment;
    return { payment: status === 'failed' && reason ? { status, reason } : { status } };
  }
  // Completed before payments reported its steps: the payment id is all there is.
  return ret.paymentId ? { payment: { status: 'paid' } } : {};
}

// GET /api/orders: one user's orders, newest first, paged by _id. On real MongoDB the plain
// `{userId}` query on this index would do; the route reads the `userorders` index documents
// instead, which keeps FerretDB (which scans for any non-_id filter) flat.
orderSchema.index({ userId: 1, _id: -1 });
// No index for the hold sweeper: it reads the ActiveHold markers, never this collection.
orderSchema.plugin(outboxPlugin);

export const Order = mongoose.model<OrderAttrs>('Order', orderSchema);

export const releasedLock = (orderId: string) => `released:${orderId}`;

/** Statuses an order can be cancelled from: a hold, not yet paid. */
export const ACTIVE_STATUSES: readonly OrderStatus[] = [OrderStatus.Created, OrderStatus.AwaitingPayment];
const CANCELLABLE = new Set<OrderStatus>(ACTIVE_STATUSES);

/** When the hold ends: expiresAt, or later while a payment in flight extends it. */
export function holdEndsAt(order: Pick<OrderAttrs, 'expiresAt' | 'holdUntil'>): Date {
  return order.holdUntil && order.holdUntil > order.expiresAt ? order.holdUntil : order.expiresAt;
}

export const holdIsOver = (order: Pick<OrderAttrs, 'expiresAt' | 'holdUntil'>, now = new Date()) =>
  holdEndsAt(order).getTime() <= now.getTime();

export const isActive = (order: Pick<OrderAttrs, 'status'>) => CANCELLABLE.has(order.status);

/**
 * Sets the order's ActiveHold marker to `endsAt`, the end of its hold as the caller last
 * read the order (the marker is created if missing), then reads the order once more: a
 * payment:failed may clear the extension between the caller's read and this write, its
 * own marker write landing before ours. A marker later than the hold's end would let the
 * hold outlive the 30 s promise (holdUntil runs ~45 s past a payment's start), so a later
 * end is corrected here; an earlier one only costs the sweeper a look at the order when it
 * comes due. A marker whose order turned final meanwhile is removed. Returns the marker's
 * end, undefined when removed.
 */
export async function setHoldMarker(id: string, endsAt: Date): Promise<Date | undefined> {
  await ActiveHold.updateOne({ _id: id }, { $set: { endsAt } }, { upsert: true });
  const now = await Order.findById(id, { status: 1, expiresAt: 1, holdUntil: 1 }).lean();
  if (!now || !isActive(now)) {
    await ActiveHold.deleteOne({ _id: id });
    return undefined;
  }
  if (holdEndsAt(now) < endsAt) {
    await ActiveHold.updateOne({ _id: id }, { $set: { endsAt: holdEndsAt(now) } });
    return holdEndsAt(now);
  }
  return endsAt;
}

export interface StatusChange {
  status: OrderStatus;
  set?: Partial<OrderAttrs>;
  /** The event stored in the same write, built for the order's new version. */
  event?: (version: number) => OutboxEntry;
}

const MAX_CAS_ATTEMPTS = 10;

/**
 * The compare-and-set tokens of an order as read: its `version` (status changes) and its
 * `holdVersion` (payment steps). Every write of an order's status or payment filters on
 * both, by equality only (an `_id` lookup plus equalities, no range operators), so no
 * write lands over a change it did not see.
 */
const asRead = (order: OrderDoc) => ({ _id: order._id, version: order.version, holdVersion: order.holdVersion ?? null });

/** An order read by `_id`; null for an id that cannot exist. */
const readOrder = async (id: string): Promise<OrderDoc | null> => (isObjectId(id) ? await Order.findById(id) : null);

/**
 * Moves an order to another status by compare-and-set on its version and holdVersion, the
 * event in the same single-document write. `plan` sees the current order and returns the
 * change, or undefined to leave it as it is. When another writer wins (the buyer cancels
 * while the payment lands, or a payment:started extends the hold after `plan` decided it
 * was over), the order is read again and `plan` decides anew. Returns the order as stored
 * afterwards, or null when there is no such order. A write storm that outlasts every
 * round is a ConcurrentUpdateError (503).
 */
export function changeOrderStatus<Optimistic extends StoredOrder | OrderDoc = OrderDoc>(
  id: string,
  plan: (order: OrderDoc) => StatusChange | undefined,
  optimistic?: () => Promise<Optimistic | null>,
): Promise<OrderDoc | Optimistic | null> {
  return compareAndSet<OrderDoc | null, StatusChange, OrderDoc | null, OrderDoc | Optimistic | null>({
    documentName: 'Order',
    id,
    attempts: MAX_CAS_ATTEMPTS,
    read: () => readOrder(id),
    plan: (order): Decision<StatusChange, OrderDoc | null> => {
      const change = order && plan(order);
      return change ? { write: change } : { done: order };
    },
    write: async (order, change) => endHoldIfFinal(await writeStatusChange(order, change)),
    optimistic: optimistic && isObjectId(id) ? async () => endHoldIfFinal(await optimistic()) : undefined,
  });
}

/**
 * After a status change: once the hold is over for good, its marker goes. Best effort — the
 * write is what counts, and a marker left behind is removed by the sweeper when it comes due.
 */
async function endHoldIfFinal<T extends StoredOrder | OrderDoc>(updated: T | null): Promise<T | null> {
  if (updated && !isActive(updated)) await deleteOneRaw(ActiveHold, { _id: String(updated._id) }).catch(() => undefined);
  return updated;
}

/** The status change as one conditional write; null when the order changed since it was read. */
async function writeStatusChange(order: OrderDoc, change: StatusChange): Promise<OrderDoc | null> {
  const version = order.version + 1;
  const updated = await Order.findOneAndUpdate(
    // holdVersion is compared too: a payment:started that extends the hold after `plan`
    // decided the hold was over must make this write miss, not be overwritten by it.
    asRead(order),
    {
      $set: { ...change.set, status: change.status, version },
      ...(change.event && { $push: { outbox: change.event(version) } }),
    },
    { new: true },
  );
  return updated;
}

/**
 * payment:created: payment `paymentId` paid the order, which completes it while it is
 * active. The common case — a held order (`created`) — is one conditional write without a
 * read: a status change whose only condition is the status (a concurrent cancel changes it
 * first and this write misses), and which stores no event. Anything else (already complete,
 * cancelled, unknown) goes through changeOrderStatus, which decides on the order as read.
 * Returns the order as stored afterwards, null for an unknown order.
 */
export async function completeOrder(id: string, paymentId: string): Promise<StoredOrder | null> {
  const set = { paymentId, payment: { id: paymentId, status: 'paid' as const } };
  const order = await changeOrderStatus(
    id,
    (o) => (isActive(o) ? { status: OrderStatus.Complete, set } : undefined),
    // The order as stored is all the caller and the kept copy need: the driver's write
    // (common updateAndReturn), no mongoose query or document.
    () =>
      updateAndReturn<StoredOrder>(
        Order,
        { _id: id, status: OrderStatus.Created },
        { $set: { ...set, status: OrderStatus.Complete }, $inc: { version: 1 } },
      ),
  );
  const stored = order instanceof Order ? (order.toObject() as StoredOrder) : (order as StoredOrder | null);
  if (stored) keepIfComplete(orderJson(stored));
  return stored;
}

const cancelPlan =
  (meta: PublishMeta) =>
  (order: OrderDoc): StatusChange | undefined =>
    CANCELLABLE.has(order.status)
      ? {
          status: OrderStatus.Cancelled,
          set: { ticketLock: releasedLock(order.id) },
          event: (version) =>
            new OrderCancelledPublisher().toOutbox({ id: order.id, version, ticket: { id: order.ticket.id } }, meta),
        }
      : undefined;

/**
 * Cancels an order unless it is complete or already cancelled, freeing its ticket and
 * storing order:cancelled with the change. A repeat changes and publishes nothing. The
 * buyer's cancel: it ignores a payment's hold extension (payments refunds a charge that
 * lands on a cancelled order).
 */
export function cancelOrder(id: string, meta: PublishMeta): Promise<OrderDoc | null> {
  return changeOrderStatus<OrderDoc>(id, cancelPlan(meta));
}

/**
 * Cancels an active order only when its hold is over (expiresAt, or holdUntil while a
 * payment extends it), decided on the order as it is at the compare-and-set. `cancelled`
 * tells whether this call cancelled it; `order` is null for an unknown order.
 */
export async function cancelOverdueOrder(
  id: string,
  meta: PublishMeta,
  opts: { evenIfBusUnsettled?: boolean } = {},
): Promise<{ order: OrderDoc | null; cancelled: boolean; deferred?: boolean }> {
  if (!opts.evenIfBusUnsettled && (!busSettled() || paymentEventWaiting(id))) {
    // A payment:started for this hold may still be on its way back to us, or waits here
    // for its retry: see bus-settled.ts.
    const order = isObjectId(id) ? await Order.findById(id) : null;
    return { order, cancelled: false, deferred: order !== null && holdIsOver(order) && isActive(order) };
  }
  let cancelled = false;
  const plan = cancelPlan(meta);
  const order = await changeOrderStatus<OrderDoc>(id, (o) => {
    const change = holdIsOver(o) ? plan(o) : undefined;
    cancelled = change !== undefined;
    return change;
  });
  return { order, cancelled: cancelled && order !== null };
}

export type PaymentStepOutcome = 'applied' | 'ignored' | 'unknown-order';

export interface PaymentStep {
  $set?: Record<string, unknown>;
  $unset?: Record<string, 1>;
}

/**
 * Records a step of the order's payment (payments' events) without a new `version`: by
 * compare-and-set on `version` and `holdVersion` (+1), so it cannot interleave with a
 * status change or another step. `plan` sees the current order and returns the write, or
 * undefined when the step does not apply (already applied, overtaken, order paid).
 * The same `{_id, version, holdVersion}` equality filter as changeOrderStatus.
 */
function changePayment(
  id: string,
  plan: (order: OrderDoc) => PaymentStep | undefined,
  optimistic?: { filter: Record<string, unknown>; step: PaymentStep },
): Promise<PaymentStepOutcome> {
  const landed = (res: { matchedCount: number }) => (res.matchedCount === 1 ? ('applied' as const) : null);
  return compareAndSet({
    documentName: 'Order',
    id,
    attempts: MAX_CAS_ATTEMPTS,
    read: () => readOrder(id),
    plan: (order): Decision<PaymentStep, PaymentStepOutcome> => {
      if (!order) return { done: 'unknown-order' };
      const step = plan(order);
      return step ? { write: step } : { done: 'ignored' };
    },
    write: async (order, step) => landed(await Order.updateOne(asRead(order), { ...step, $inc: { holdVersion: 1 } })),
    optimistic:
      optimistic && isObjectId(id)
        ? async () => landed(await updateOneRaw(Order, { _id: id, ...optimistic.filter }, { ...optimistic.step, $inc: { holdVersion: 1 } }))
        : undefined,
  });
}

/**
 * payment:started: keeps an active order's hold until `holdUntil`. It applies to a payment
 * not seen before, or to a later attempt or a longer hold of the one seen (a later
 * holdUntil); a redelivered or overtaken payment:started — even after its payment:failed —
 * changes nothing. The order's write is all: the hold marker stays where it is, early,
 * which is safe — a marker may be early, never late (see setHoldMarker). Most payments
 * settle long before it comes due and remove it; one that does not is looked at by the
 * sweeper, which reads the order and moves the marker to the hold's new end. That saves
 * the payment path two database commands (the marker's write and its read-back).
 */
export function extendHold(id: string, paymentId: string, holdUntil: Date): Promise<PaymentStepOutcome> {
  const step = { $set: { holdUntil, payment: { id: paymentId, status: 'pending', holdUntil } } };
  return changePayment(
    id,
    (order) => {
      if (!CANCELLABLE.has(order.status)) return undefined;
      const seen = order.payment;
      if (seen?.id === paymentId && !(seen.holdUntil && seen.holdUntil < holdUntil)) return undefined;
      return step;
    },
    // The common case, a first payment of a held order, without a read: `holdVersion` is
    // still bumped, so a status change planned on an earlier read misses.
    { filter: { status: OrderStatus.Created, payment: null }, step },
  );
}

/**
 * payment:failed: the charge did not happen, so the hold is what expiresAt says again;
 * the failure is kept for the buyer to see. Applies to an order that is not paid, for the
 * payment it knows (or before it knew of any); its redelivery changes nothing. A failure
 * that arrives before its payment:started leaves no holdUntil behind, so that
 * payment:started is then ignored.
 */
export async function recordPaymentFailure(id: string, paymentId: string, reason: string, eventId: string): Promise<PaymentStepOutcome> {
  let read: OrderDoc | undefined;
  const outcome = await changePayment(id, (order) => {
    read = order;
    if (order.status === OrderStatus.Complete) return undefined;
    const seen = order.payment;
    if (seen && (seen.id !== paymentId || !['pending', 'failed'].includes(seen.status) || seen.failedEventId === eventId)) return undefined;
    return {
      $set: { payment: { id: paymentId, status: 'failed', reason, holdUntil: seen?.holdUntil, failedEventId: eventId } },
      $unset: { holdUntil: 1 },
    };
  });
  // The hold's end moves back to expiresAt: the marker follows. Also when this delivery
  // changed nothing — it may be the redelivery of one that died before this write, which
  // left the marker at the old, later holdUntil.
  if (read && isActive(read)) await setHoldMarker(id, outcome === 'applied' ? read.expiresAt : holdEndsAt(read));
  return outcome;
}

/**
 * payment:refunded: kept on the cancelled order it refunds; the status stays cancelled.
 * A redelivery (the same refund id) changes nothing.
 */
export function recordRefund(id: string, paymentId: string, refund: OrderRefund): Promise<PaymentStepOutcome> {
  return changePayment(id, (order) =>
    order.status === OrderStatus.Cancelled && order.refund?.id !== refund.id
      ? { $set: { refund: { id: refund.id, amount: refund.amount }, payment: { id: paymentId, status: 'refunded' } } }
      : undefined,
  );
}
