import { EventEmitter } from 'node:events';
import { Schema } from 'mongoose';
import type { Model, Query } from 'mongoose';
import type { OutboxEntry } from './outbox-entry';

/**
 * What a write tells the relay: which document may hold new outbox entries and, when the
 * write returned the document as stored, its whole outbox array at that moment (so the relay
 * publishes without reading it back). `id` is absent when the write named no single `_id`.
 */
export interface OutboxWrite {
  model: Model<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  id?: unknown;
  outbox?: OutboxEntry[];
}

/**
 * `written`: fired after any write that may have stored outbox entries, so the relay sends
 * them now. `published`: fired by the relay once NATS Streaming stored an entry.
 */
export const outboxSignal = new EventEmitter<{ written: [OutboxWrite]; published: [string] }>();
outboxSignal.setMaxListeners(1_000);

const PUBLISHED_REMEMBERED = 10_000;
const publishedRecently = new Set<string>();
outboxSignal.on('published', (entryId) => {
  publishedRecently.add(entryId);
  if (publishedRecently.size > PUBLISHED_REMEMBERED) publishedRecently.delete(publishedRecently.values().next().value as string);
});

/**
 * Resolves true once this process's relay has published the outbox entry (the event is
 * durably on the bus), false after `timeoutMs`. For work that must not start before other
 * services can know about it: payments charges a card only once payment:started, which
 * extends the buyer's hold, is on the bus.
 */
export function waitForPublished(entryId: string, timeoutMs: number): Promise<boolean> {
  if (publishedRecently.has(entryId)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onPublished = (id: string) => {
      if (id !== entryId) return;
      clearTimeout(timer);
      outboxSignal.off('published', onPublished);
      resolve(true);
    };
    const timer = setTimeout(() => {
      outboxSignal.off('published', onPublished);
      resolve(publishedRecently.has(entryId));
    }, timeoutMs);
    outboxSignal.on('published', onPublished);
  });
}

const entrySchema = new Schema(
  { id: { type: String, required: true }, subject: { type: String, required: true }, payload: { type: String, required: true } },
  { _id: false },
);

/** The entries as three plain strings each (a mongoose subdocument array, or entries as built). */
export const plainEntries = (outbox: unknown): OutboxEntry[] | undefined =>
  Array.isArray(outbox)
    ? outbox.map((e: OutboxEntry) => ({ id: e.id, subject: e.subject, payload: e.payload }))
    : undefined;

/**
 * Tells the relay that a write may have stored outbox entries (see OutboxWrite): the one
 * way every writer announces, the plugin's hooks and the driver operations alike.
 */
export function announceWrite(w: OutboxWrite): void {
  if (outboxSignal.listenerCount('written') > 0) outboxSignal.emit('written', w);
}

/**
 * Tells the relay about a document inserted without a mongoose document (insertDocument),
 * as the plugin's `save` hook does for one saved through mongoose. Nothing for a model
 * without an outbox, or a document without entries.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function announceOutboxWrite(model: Model<any>, stored: { _id?: unknown; outbox?: OutboxEntry[] }): void {
  if (!model.schema.path('outbox') || !stored.outbox?.length) return;
  // Stored as plain entries already (plainEntries): announced as they are.
  announceWrite({ model, id: stored._id, outbox: stored.outbox });
}

/** The `_id` a filter names by equality, when it names exactly one. */
function filterId(filter: Record<string, unknown> | undefined): unknown {
  const id = filter?._id;
  if (id === undefined || id === null) return undefined;
  if (typeof id === 'object' && !('_bsontype' in (id as object)) && Object.keys(id as object).some((k) => k.startsWith('$'))) {
    return undefined;
  }
  return id;
}

/** Whether an update may store outbox entries: it names `outbox` (a pipeline may do anything). */
function touchesOutbox(update: unknown): boolean {
  if (!update || typeof update !== 'object') return false;
  if (Array.isArray(update)) return true;
  return Object.entries(update as Record<string, unknown>).some(([key, value]) =>
    key.startsWith('$')
      ? !!value && typeof value === 'object' && Object.keys(value).some((path) => path === 'outbox' || path.startsWith('outbox.'))
      : key === 'outbox' || key.startsWith('outbox.'),
  );
}

/** Whether a projection returns the whole outbox: none, or one naming it (`select: true` adds it to inclusive ones). */
function returnsOutbox(projection: unknown): boolean {
  if (!projection || typeof projection !== 'object') return true;
  const p = projection as Record<string, unknown>;
  return Object.keys(p).length === 0 || p.outbox === 1 || p.outbox === true;
}

/**
 * Adds the transactional outbox to a model: an `outbox` array written in the same
 * single-document operation as the change (insert, or a conditional update with `$push`),
 * so the change and its event are stored together or not at all. MongoDB makes a
 * single-document write atomic without transactions, which our test server lacks.
 *
 * The sparse index on `outbox.id` holds only documents with pending entries, so the
 * relay's recovery sweep is an index scan of the few pending documents on MongoDB, never a
 * collection scan; the hot path does not query at all (it publishes by `_id`).
 */
export function outboxPlugin(schema: Schema): void {
  schema.add({ outbox: { type: [entrySchema], default: [], select: true } });
  schema.index({ 'outbox.id': 1 }, { sparse: true });
  // Pending events are internal: never part of an API response.
  const hide = (_doc: unknown, ret: Record<string, unknown>) => {
    delete ret.outbox;
    return ret;
  };
  for (const opt of ['toJSON', 'toObject'] as const) {
    const current = schema.get(opt) ?? {};
    const previous = current.transform;
    schema.set(opt, {
      ...current,
      transform: (doc: unknown, ret: Record<string, unknown>, o: unknown) => {
        const out = typeof previous === 'function' ? (previous(doc as never, ret as never, o as never) ?? ret) : ret;
        return hide(doc, out as Record<string, unknown>);
      },
    });
  }
  /* eslint-disable @typescript-eslint/no-explicit-any */
  schema.post('save', function (doc: any) {
    announceWrite({ model: doc.constructor, id: doc._id, outbox: plainEntries(doc.get('outbox')) });
  });
  schema.post('insertMany', function (this: any, docs: any[]) {
    for (const doc of docs ?? []) announceWrite({ model: this, id: doc._id, outbox: plainEntries(doc.outbox) });
  });
  // An update that names no outbox stores no entries: nothing to announce, nothing to read
  // back (a read-back is one more database command on every such write).
  schema.post('findOneAndUpdate', function (this: Query<any, any>, res: any) {
    if (!touchesOutbox(this.getUpdate())) return;
    const o = this.getOptions() as { new?: boolean; returnDocument?: string; projection?: unknown };
    const after = o.new === true || o.returnDocument === 'after';
    // A projection may have left the outbox out of the returned document: read it back.
    const whole = returnsOutbox(o.projection) && returnsOutbox(this.projection());
    if (res && after && whole && Array.isArray(res.outbox)) announceWrite({ model: this.model, id: res._id, outbox: plainEntries(res.outbox) });
    else announceWrite({ model: this.model, id: res?._id ?? filterId(this.getFilter()) });
  });
  for (const op of ['updateOne', 'updateMany'] as const) {
    schema.post(op, function (this: Query<any, any>) {
      if (!touchesOutbox(this.getUpdate())) return;
      announceWrite({ model: this.model, id: op === 'updateOne' ? filterId(this.getFilter()) : undefined });
    });
  }
  /* eslint-enable @typescript-eslint/no-explicit-any */
}
