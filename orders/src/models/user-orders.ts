import mongoose, { Schema } from 'mongoose';
import { Logger, updateOneRaw } from '@ticketing/common';
import { Order } from './order';

/**
 * Per user, the ids of their orders: GET /api/orders reads this one document by `_id` and
 * then each order of the page by `_id`, instead of the `{userId}` query + sort, which
 * FerretDB answers by reading the whole orders collection (measured: ~1.2 s per request at
 * 20,000 orders, the database blocked meanwhile by the gate). On real MongoDB the plain
 * query on `{userId:1, _id:-1}` would do; this collection keeps FerretDB flat.
 *
 * One document per user, not page-sized buckets: a page is one `_id` read whatever its
 * cursor, and a bucket chain would add reads and a roll-over race for nothing: an id costs
 * ~35 bytes, so the 16 MB document limit is ~400,000 orders of one buyer.
 *
 * Why the list can never miss an order that exists:
 * - POST /api/orders `$addToSet`s the new id here (upsert, awaited, acknowledged) BEFORE it
 *   inserts the order, and the insert is the only way an order comes to exist. A failed
 *   push fails the request before the insert; a crash between the two leaves an id without
 *   an order, never an order without its id.
 * - An id without an order (the insert failed, was refused by the ticket lock, or the
 *   process died) is skipped by the list and pulled by it once the id is older than
 *   PULL_AFTER_MS, far longer than an insert in flight can take (database calls give up
 *   after 3 s), so an order still being inserted never loses its id.
 * - Orders stored before this collection existed are added once per database by
 *   backfillUserOrders, awaited in onStart before HTTP listens; its marker is written only
 *   after every user's ids are in, so a crash midway runs it again ($addToSet: harmless).
 */
export interface UserOrdersAttrs {
  /** The user's id; or BACKFILL_MARKER_ID for the marker. */
  _id: string;
  /** Order ids (hex), in no particular order: the list sorts them (ObjectId order = creation order). */
  orderIds: string[];
  /** Only on the marker: when the backfill finished. */
  backfilledAt?: Date;
}

const userOrdersSchema = new Schema<UserOrdersAttrs>(
  {
    _id: { type: String, required: true },
    orderIds: { type: [String], default: undefined },
    backfilledAt: { type: Date },
  },
  { versionKey: false },
);

export const UserOrders = mongoose.model<UserOrdersAttrs>('UserOrders', userOrdersSchema, 'userorders');

/** Not hex: cannot be a user id. */
export const BACKFILL_MARKER_ID = '~backfilled';

/** An id without an order is pulled once it is this old: no insert is still in flight by then. */
export const PULL_AFTER_MS = 60_000;

/** Before the order's insert: see above. By `_id`, idempotent (a retried request adds nothing). */
export async function recordUserOrder(userId: string, orderId: string): Promise<void> {
  await updateOneRaw(UserOrders, { _id: userId }, { $addToSet: { orderIds: orderId } }, { upsert: true });
}

/** Removes ids whose order does not exist and never will (older than PULL_AFTER_MS). Best effort. */
export async function pullMissingOrders(userId: string, orderIds: string[], now = Date.now()): Promise<void> {
  const stale = orderIds.filter((id) => now - new mongoose.Types.ObjectId(id).getTimestamp().getTime() > PULL_AFTER_MS);
  // $pullAll, not $pull with $in: FerretDB 1.24 accepts the latter and removes nothing (measured).
  if (stale.length > 0) await UserOrders.updateOne({ _id: userId }, { $pullAll: { orderIds: stale } });
}

const BACKFILL_BATCH = 500;

/**
 * Once per database: adds every stored order's id to its user's document, with one read of
 * the orders collection (only `_id` and `userId`). Orders placed meanwhile push their own
 * ids; `$addToSet` makes the two commute. Returns the number of orders read, or undefined
 * when it had been done already.
 */
export async function backfillUserOrders(logger?: Logger): Promise<number | undefined> {
  if (await UserOrders.exists({ _id: BACKFILL_MARKER_ID })) return undefined;
  const byUser = new Map<string, string[]>();
  let read = 0;
  for await (const o of Order.find({}, { userId: 1 }).lean().cursor()) {
    read++;
    const ids = byUser.get(o.userId) ?? [];
    ids.push(String(o._id));
    byUser.set(o.userId, ids);
  }
  const ops = [...byUser].map(([userId, ids]) => ({
    updateOne: { filter: { _id: userId }, update: { $addToSet: { orderIds: { $each: ids } } }, upsert: true },
  }));
  for (let i = 0; i < ops.length; i += BACKFILL_BATCH) await UserOrders.bulkWrite(ops.slice(i, i + BACKFILL_BATCH), { ordered: false });
  await UserOrders.updateOne({ _id: BACKFILL_MARKER_ID }, { $set: { backfilledAt: new Date() } }, { upsert: true });
  logger?.info({ orders: read, users: byUser.size }, 'user order index backfilled');
  return read;
}
