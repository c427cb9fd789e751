import type { Model } from 'mongoose';
import type { OutboxEntry } from './outbox-entry';
import { announceOutboxWrite, announceWrite, plainEntries } from './outbox-plugin';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyModel = Model<any>;

/**
 * The purchase path's reads and conditional writes by `_id`, through the model's collection
 * (the driver's call, counted by connectMongo's hook), without a mongoose query.
 *
 * A mongoose query builds a Query, casts the filter and the update against the schema and
 * runs the middleware: 0.2–0.35 ms of CPU per call over the driver's own, measured, on a
 * path that makes about a dozen such calls per purchase. These helpers keep what those
 * calls need of it: the `_id` cast to the schema's type (`castId`), outbox entries stored
 * as built and announced to the relay as the plugin's hook does, and the schema's timestamps
 * (`updatedAt` set by every write, `createdAt` by an upsert's insert). What they do not do:
 * cast other values (callers pass the stored types: Dates, numbers, strings) or run
 * setters and validators. Use them where the filter and the update are built by the code
 * from stored or checked values; anything else keeps the mongoose query.
 */

/** `id` as the schema stores `_id` (an ObjectId from its hex string, or the string itself). */
export function castId(model: AnyModel, id: unknown): unknown {
  return model.schema.path('_id').cast(id);
}

/** The filter with its `_id` cast (see castId). */
function withId(model: AnyModel, filter: Record<string, unknown>): Record<string, unknown> {
  return filter._id === undefined ? filter : { ...filter, _id: castId(model, filter._id) };
}

/**
 * The update as mongoose would send it: the entries of a `$push` to `outbox` as plain
 * strings (as insertDocument stores them), and the schema's timestamps.
 */
function prepareUpdate(model: AnyModel, update: Record<string, unknown>, upsert: boolean): { update: Record<string, unknown>; pushes: boolean } {
  let u = update;
  const push = u.$push as Record<string, unknown> | undefined;
  const pushes = !!push && push.outbox !== undefined;
  if (pushes) {
    const entry = push!.outbox as OutboxEntry | { $each: OutboxEntry[] };
    const outbox = '$each' in entry ? { $each: plainEntries(entry.$each) } : plainEntries([entry])![0];
    u = { ...u, $push: { ...push, outbox } };
  }
  const ts = (model.schema as unknown as { $timestamps?: { createdAt?: string | null; updatedAt?: string | null } }).$timestamps;
  if (ts) {
    const now = new Date();
    if (ts.updatedAt) u = { ...u, $set: { ...(u.$set as object), [ts.updatedAt]: now } };
    if (upsert && ts.createdAt) u = { ...u, $setOnInsert: { ...(u.$setOnInsert as object), [ts.createdAt]: now } };
  }
  return { update: u, pushes };
}

/**
 * The document by `_id`, as stored (what `findById(id, projection).lean()` returns), or
 * null. `projection`: only these fields (and `_id`).
 */
export async function findByIdRaw<T>(model: AnyModel, id: unknown, projection?: Record<string, 1>): Promise<T | null> {
  return (await model.collection.findOne({ _id: castId(model, id) } as never, projection && { projection })) as T | null;
}

/**
 * One conditional write that returns the document as stored afterwards (null when the
 * filter matched nothing): `findOneAndUpdate(filter, update, { new: true }).lean()`. An
 * outbox entry pushed by the update is announced to the relay with the stored outbox.
 */
export async function updateAndReturn<T>(
  model: AnyModel,
  filter: Record<string, unknown>,
  update: Record<string, unknown>,
): Promise<T | null> {
  const { update: u, pushes } = prepareUpdate(model, update, false);
  const stored = (await model.collection.findOneAndUpdate(withId(model, filter) as never, u as never, {
    returnDocument: 'after',
  })) as (T & { _id?: unknown; outbox?: OutboxEntry[] }) | null;
  if (stored && pushes) announceOutboxWrite(model, stored);
  return stored;
}

/** One conditional write: how many documents matched, were changed, or were inserted (upsert). */
export async function updateOneRaw(
  model: AnyModel,
  filter: Record<string, unknown>,
  update: Record<string, unknown>,
  options: { upsert?: boolean } = {},
): Promise<{ matchedCount: number; modifiedCount: number; upsertedCount: number }> {
  const { update: u, pushes } = prepareUpdate(model, update, options.upsert === true);
  const f = withId(model, filter);
  const res = await model.collection.updateOne(f as never, u as never, options);
  // The relay reads the document back by `_id` (no outbox returned by this write).
  if (pushes) announceWrite({ model, id: f._id });
  return res;
}

/** Deletes the one document the filter names; true when it was there. */
export async function deleteOneRaw(model: AnyModel, filter: Record<string, unknown>): Promise<boolean> {
  const res = await model.collection.deleteOne(withId(model, filter) as never);
  return res.deletedCount === 1;
}
