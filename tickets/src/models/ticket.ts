import mongoose, { HydratedDocument, Schema, Types } from 'mongoose';
import { compareAndSet, Decision, isObjectId, outboxPlugin, OutboxEntry, updateAndReturn } from '@ticketing/common';
import { TicketUpdatedPublisher } from '../events/publishers/ticket-updated-publisher';

/** Prices are dollars to the cent: payments charges Math.round(price * 100) cents. */
export const MIN_PRICE = 0.5;
export const MAX_PRICE = 999_999.99;
export const MAX_TITLE_LENGTH = 200;
/**
 * How many cancelled orders a ticket remembers. An order:created that arrives after its own
 * order:cancelled (another channel, redelivery) must not reserve; such stragglers come within
 * the bus's redelivery window (minutes), long before a ticket sees this many cancellations.
 */
export const RELEASED_ORDERS_KEPT = 20;
/** Rounds of read → conditional write before giving up; each lost round means another write landed. */
const MAX_WRITE_ATTEMPTS = 50;

export interface TicketAttrs {
  title: string;
  price: number;
  /** The seller. */
  userId: string;
  /** Ours, not mongoose's: every change bumps it by one and publishes ticket:updated. */
  version: number;
  /** Set while an order holds the ticket. */
  orderId?: string;
  releasedOrderIds: string[];
  createdAt: Date;
  updatedAt: Date;
  outbox: OutboxEntry[];
}

export type TicketDoc = HydratedDocument<TicketAttrs>;

/** What a change may set: the listing, and who holds it (absent = free). */
export interface TicketState {
  title: string;
  price: number;
  orderId?: string;
}

/** A ticket as stored: what a lean read or insertDocument returns. */
export type StoredTicket = TicketAttrs & { _id: Types.ObjectId };

/** What a client sees of a ticket. An allow-list: internal fields (released orders, outbox) never reach a client. */
export function ticketJson(ret: Pick<TicketAttrs, 'title' | 'price' | 'userId' | 'version' | 'orderId'> & { _id: unknown }) {
  return {
    id: String(ret._id),
    title: ret.title,
    price: ret.price,
    userId: ret.userId,
    version: ret.version,
    ...(ret.orderId ? { orderId: ret.orderId } : {}),
  };
}

const ticketSchema = new Schema<TicketAttrs>(
  {
    title: { type: String, required: true, trim: true, maxlength: MAX_TITLE_LENGTH },
    price: { type: Number, required: true, min: MIN_PRICE, max: MAX_PRICE },
    userId: { type: String, required: true },
    version: { type: Number, required: true, default: 0 },
    orderId: { type: String },
    releasedOrderIds: { type: [String], default: [] },
  },
  {
    versionKey: false,
    // updatedAt is what other replicas' list refreshes read (listed-tickets.ts).
    timestamps: true,
    toJSON: { transform: (_doc, ret) => ticketJson(ret as StoredTicket) },
  },
);
// For MongoDB (FerretDB ignores indexes but for _id): the list's queries. The cursor
// query `{orderId: null, _id: {$lt: before}}` sorted by `_id: -1` (and the start-up load
// of listed-tickets.ts) is an index range scan on {orderId, _id}, no in-memory sort; the
// refresh `{updatedAt: {$gte: since}}` reads only the recent changes.
ticketSchema.index({ orderId: 1, _id: -1 });
ticketSchema.index({ updatedAt: 1 });
ticketSchema.plugin(outboxPlugin);

export const Ticket = mongoose.model<TicketAttrs>('Ticket', ticketSchema);

/**
 * A write of the ticket `plan` decided on (saveNextVersion, rememberReleasedOrder): it
 * lands only while the ticket is as read, and answers null when another write got there first.
 */
export type TicketWrite<T> = () => Promise<T | null>;

/**
 * Changes a ticket by compare-and-set (DESIGN.md §4): `plan` sees the ticket as it is now
 * (null when there is none) and answers without a write (`done`) or with the one
 * conditional write to make. When another write landed in between, the ticket is read
 * again and `plan` decides anew, so no change is made on a state it did not see. Every
 * lost round is someone else's successful write: only a write storm on one ticket runs out
 * of rounds (ConcurrentUpdateError, 503 "Ticket is busy, try again").
 */
export function changeTicket<T>(
  id: string,
  plan: (ticket: TicketDoc | null) => Decision<TicketWrite<T>, T>,
  optimistic?: TicketWrite<T>,
): Promise<T> {
  return compareAndSet({
    documentName: 'Ticket',
    id,
    attempts: MAX_WRITE_ATTEMPTS,
    read: async () => (isObjectId(id) ? await Ticket.findById(id) : null),
    plan,
    write: (_ticket, write) => write(),
    // The common case written without a read (common compareAndSet): null when it missed.
    ...(optimistic ? { optimistic } : {}),
  });
}

/**
 * What a conditional write needs of the ticket it changes: the compare-and-set tokens
 * (version, holder) and what the event repeats unchanged (the seller). A read document,
 * or a state known some other way (the list's copy), which the write's filter then checks.
 */
export type TicketTokens = Pick<TicketAttrs, 'version' | 'userId' | 'orderId'> & { _id: Types.ObjectId | string };

/**
 * Stores `next` as the ticket's following version together with its ticket:updated event, in
 * one conditional write that lands only if the ticket is still as `current` was read: the
 * same version and holder, and, for a reservation, the order not remembered as released
 * (remembering does not bump the version). Returns null when another write got there first.
 */
export async function saveNextVersion(
  current: TicketTokens,
  next: TicketState,
  requestId?: string,
): Promise<StoredTicket | null> {
  const version = current.version + 1;
  const entry = new TicketUpdatedPublisher().toOutbox(
    {
      id: String(current._id),
      version,
      title: next.title,
      price: next.price,
      userId: current.userId,
      ...(next.orderId ? { orderId: next.orderId } : {}),
    },
    { requestId },
  );
  // An order losing its hold is remembered, so a late duplicate of its order:created cannot reserve again.
  const released = current.orderId && current.orderId !== next.orderId ? current.orderId : undefined;
  // Through the driver (common updateAndReturn): the reservation of every purchase.
  const saved = await updateAndReturn<StoredTicket>(
    Ticket,
    {
      _id: current._id,
      version: current.version,
      orderId: current.orderId ?? { $exists: false },
      // Remembering a cancelled order does not bump the version, so a reservation checks it here.
      ...(next.orderId ? { releasedOrderIds: { $ne: next.orderId } } : {}),
    },
    {
      $set: { title: next.title, price: next.price, ...(next.orderId ? { orderId: next.orderId } : {}) },
      ...(next.orderId ? {} : { $unset: { orderId: '' } }),
      $inc: { version: 1 },
      $push: { outbox: entry, ...(released ? { releasedOrderIds: released } : {}) },
    },
  );
  if (saved && released && saved.releasedOrderIds.length > RELEASED_ORDERS_KEPT) await trimReleasedOrders(saved._id);
  return saved;
}

/**
 * Remembers an order cancelled before its order:created reached us, without a version or an
 * event: nothing any replica sees changes. Lands only while that order does not hold the
 * ticket and is not remembered yet; false means the ticket changed meanwhile.
 */
export async function rememberReleasedOrder(ticket: TicketDoc, orderId: string): Promise<boolean> {
  const { modifiedCount } = await Ticket.updateOne(
    { _id: ticket._id, orderId: { $ne: orderId }, releasedOrderIds: { $ne: orderId } },
    { $push: { releasedOrderIds: orderId } },
  );
  // The list as read plus this one: a concurrent push may leave it one over (remembering
  // more is harmless) until the next push trims it.
  if (modifiedCount === 1 && ticket.releasedOrderIds.length + 1 > RELEASED_ORDERS_KEPT) await trimReleasedOrders(ticket._id);
  return modifiedCount === 1;
}

/**
 * Drops the oldest remembered order once there are too many. A separate write because FerretDB
 * silently ignores `$push` with `$slice`; each push is followed by at most one pop. Called only
 * when the list is known to be over the limit: its filter is more than an `_id`, which
 * FerretDB evaluates over the whole collection.
 */
async function trimReleasedOrders(id: Types.ObjectId): Promise<void> {
  await Ticket.updateOne(
    { _id: id, [`releasedOrderIds.${RELEASED_ORDERS_KEPT}`]: { $exists: true } },
    { $pop: { releasedOrderIds: -1 } },
  );
}
