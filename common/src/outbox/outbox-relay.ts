import type { Model } from 'mongoose';
import type { Logger } from 'pino';
import type { EnvelopeSink } from '../events/envelope';
import type { OutboxEntry } from './outbox-entry';
import { OutboxWrite, outboxSignal } from './outbox-plugin';
import { metrics } from '../metrics/metrics';
import { contextFrom, SpanKind, withSpan } from '../tracing/tracing';

/** The trace context an envelope carries (undefined when it carries none or is unreadable). */
function envelopeTrace(payload: string): { traceparent?: string; tracestate?: string } | undefined {
  if (!payload.includes('"traceparent"')) return undefined;
  try {
    return JSON.parse(payload)?.meta;
  } catch {
    return undefined;
  }
}

export interface OutboxRelayOptions {
  /**
   * How often to sweep for entries that no write of this process announced (left by a
   * process that died between write and publish and did not come back: its restart sweeps
   * at start). Default 5 min: on FerretDB a sweep reads the whole collection.
   */
  pollIntervalMs?: number;
  /** First and longest wait before publishing again what failed to publish. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Documents read per sweep and model. */
  batchSize?: number;
  /** Documents published at once on the hot path (each document's entries stay in order). */
  concurrency?: number;
  /**
   * How long published entries wait to be removed, so that the removals of many documents
   * go to the database as one command (default 50 ms; 0 removes each at once).
   */
  removeDelayMs?: number;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyModel = Model<any>;

interface Pending {
  model: AnyModel;
  id: unknown;
  /** The document's outbox as the write stored it; absent → read it back by `_id`. */
  outbox?: OutboxEntry[];
}

const RECENT_LIMIT = 5_000;
/** Removals sent at once, whatever the delay. */
const REMOVE_BATCH = 64;

/**
 * Publishes stored outbox entries, then removes them from their document.
 *
 * Hot path: every write through an outbox model announces its document (`outboxSignal`),
 * usually with the outbox array as stored; the relay publishes those entries and removes
 * them with a `$pullAll` by `_id`. The removals of the documents published within
 * `removeDelayMs` go as one command per collection (a bulk of `_id` updates), so under load
 * the removals cost a few commands, not one per event. No query scans a collection, so the
 * cost of a write does not grow with the data stored (it used to: a
 * `find({'outbox.0': {$exists: true}})` after every write, which FerretDB evaluates over the
 * whole collection).
 *
 * Recovery: what failed to publish (bus down) stays queued here by `_id` and is retried
 * with backoff, again without scanning. A sweep at start (a restarted process finds what
 * it left when killed) and every `pollIntervalMs` (what another, vanished replica left)
 * finds documents that still hold entries: on MongoDB through the sparse index on
 * `outbox.id`, on FerretDB by reading the collection, which is why it is rare.
 *
 * Delivery is at least once: a crash after the publish and before the `$pullAll`, two
 * replicas sweeping the same document, or two writes of one document announcing the same
 * entry can send it twice (the last is suppressed in-process by entry id). Every envelope
 * carries its event id and every listener is idempotent, so a duplicate changes nothing.
 */
export class OutboxRelay {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private queue = new Map<string, Pending>();
  private sweepWanted = false;
  private stopped = true;
  private failures = 0;
  private retryTimer?: NodeJS.Timeout;
  /** Entry ids published recently, so an entry announced by two writes goes out once. */
  private recent = new Set<string>();
  private readonly onWritten = (w: OutboxWrite) => this.announce(w);
  /** Published entries still stored, by collection, then document `_id`: removed together. */
  private removals = new Map<AnyModel, Map<string, { id: unknown; entries: OutboxEntry[] }>>();
  private removalCount = 0;
  private removeTimer?: NodeJS.Timeout;
  private removing?: Promise<void>;

  constructor(
    private readonly bus: EnvelopeSink,
    private readonly models: AnyModel[],
    private readonly logger: Logger,
    private readonly opts: OutboxRelayOptions = {},
  ) {}

  start(): this {
    if (!this.stopped) return this;
    this.stopped = false;
    outboxSignal.on('written', this.onWritten);
    this.timer = setInterval(() => this.requestSweep(), this.opts.pollIntervalMs ?? 300_000);
    this.timer.unref();
    this.requestSweep();
    return this;
  }

  /** Asks for a sweep of every model soon (the timer does; so does a failed publish). */
  requestSweep(): void {
    this.sweepWanted = true;
    this.kick();
  }

  /** Runs a pass now unless one runs or a retry is waiting (its timer kicks later). */
  private kick(): void {
    if (this.stopped || this.running || this.retryTimer) return;
    this.running = this.loop().finally(() => {
      this.running = undefined;
      // Work announced while the last pass was finishing.
      if (!this.stopped && (this.queue.size > 0 || this.sweepWanted)) this.kick();
    });
  }

  private announce(w: OutboxWrite): void {
    if (this.stopped || !this.models.includes(w.model)) return;
    if (w.id === undefined) {
      this.requestSweep();
      return;
    }
    if (w.outbox && w.outbox.length === 0) return;
    const key = `${w.model.collection.collectionName}:${String(w.id)}`;
    const known = this.queue.get(key);
    // The later announcement of one document holds everything the earlier one did.
    this.queue.set(key, { model: w.model, id: w.id, outbox: known && !w.outbox ? undefined : w.outbox });
    this.kick();
  }

  private async loop(): Promise<void> {
    while (!this.stopped && (this.queue.size > 0 || this.sweepWanted)) {
      try {
        if (this.queue.size > 0) {
          const batch = [...this.queue.values()].slice(0, this.opts.concurrency ?? 16);
          const key = (p: Pending) => `${p.model.collection.collectionName}:${String(p.id)}`;
          for (const p of batch) this.queue.delete(key(p));
          const results = await Promise.allSettled(batch.map((p) => this.publishDocument(p.model, p.id, p.outbox)));
          let failure: unknown;
          results.forEach((r, i) => {
            if (r.status === 'fulfilled') return;
            failure ??= r.reason;
            // Still stored: queue it again, unless a later write of the document did.
            const p = batch[i];
            if (!this.queue.has(key(p))) this.queue.set(key(p), { model: p.model, id: p.id });
          });
          if (failure !== undefined) throw failure;
        } else {
          this.sweepWanted = false;
          try {
            await this.sweep();
          } catch (err) {
            this.sweepWanted = true;
            throw err;
          }
        }
        this.failures = 0;
      } catch (err) {
        this.failures++;
        const base = this.opts.retryDelayMs ?? 500;
        const delay = Math.min(base * 2 ** (this.failures - 1), this.opts.maxRetryDelayMs ?? 15_000);
        if (this.failures === 1 || this.failures % 10 === 0) {
          this.logger.warn({ err: (err as Error)?.message ?? err, pending: this.queue.size, retryInMs: delay }, 'outbox publish failed, will retry');
        }
        metrics.outboxPending.set({ collection: 'queued' }, this.queue.size);
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.kick();
        }, delay);
        this.retryTimer.unref();
        return;
      }
    }
  }

  /** Publishes a document's entries in order, then removes exactly those entries. */
  private async publishDocument(model: AnyModel, id: unknown, known?: OutboxEntry[]): Promise<number> {
    let outbox = known;
    if (!outbox) {
      const doc = (await model.collection.findOne({ _id: id } as never, { projection: { outbox: 1 } })) as {
        outbox?: OutboxEntry[];
      } | null;
      outbox = doc?.outbox ?? [];
    }
    if (outbox.length === 0) return 0;
    const sent: OutboxEntry[] = [];
    try {
      // In order, and stop at the first failure, so a document's events keep their order.
      for (const entry of outbox) {
        if (!this.recent.has(entry.id)) {
          const carried = envelopeTrace(entry.payload);
          if (carried) {
            await withSpan(`publish ${entry.subject}`, () => this.bus.publishRaw(entry.subject, entry.payload), {
              kind: SpanKind.PRODUCER,
              parent: contextFrom(carried),
              attributes: { 'messaging.system': 'nats-streaming', 'messaging.destination.name': entry.subject, 'messaging.message.id': entry.id },
            });
          } else {
            await this.bus.publishRaw(entry.subject, entry.payload);
          }
          this.remember(entry.id);
          outboxSignal.emit('published', entry.id);
        }
        sent.push({ id: entry.id, subject: entry.subject, payload: entry.payload });
      }
    } finally {
      if (sent.length) this.remove(model, id, sent);
    }
    return sent.length;
  }

  /**
   * Queues the removal of published entries; they go with the others of the next
   * `removeDelayMs`. Until then they stay stored, and a crash sends them again (at least
   * once); in this process `recent` keeps a later write's announcement from resending them.
   */
  private remove(model: AnyModel, id: unknown, entries: OutboxEntry[], retry = false): void {
    let docs = this.removals.get(model);
    if (!docs) this.removals.set(model, (docs = new Map()));
    const key = String(id);
    const known = docs.get(key);
    if (known) known.entries.push(...entries.filter((e) => !known.entries.some((k) => k.id === e.id)));
    else docs.set(key, { id, entries: [...entries] });
    this.removalCount++;
    if (retry) {
      // After a failed round: later, and only while running (a stopped relay's next start sweeps).
      if (!this.stopped && !this.removeTimer) this.scheduleRemoval(this.opts.retryDelayMs ?? 500);
      return;
    }
    const delay = this.opts.removeDelayMs ?? 50;
    if (this.removalCount >= REMOVE_BATCH || delay === 0) void this.removeNow();
    else if (!this.removeTimer) this.scheduleRemoval(delay);
  }

  private scheduleRemoval(delayMs: number): void {
    this.removeTimer = setTimeout(() => void this.removeNow(), delayMs);
    this.removeTimer.unref();
  }

  /**
   * Removes every queued published entry: one bulk write per collection, each statement a
   * `$pullAll` of whole, exact elements by `_id` (FerretDB ignores `$pull` conditions).
   * One round at a time; what fails to be removed is queued again for a later round.
   */
  private async removeNow(): Promise<void> {
    if (this.removeTimer) clearTimeout(this.removeTimer);
    this.removeTimer = undefined;
    while (this.removing) await this.removing;
    if (this.removals.size === 0) return;
    const rounds = [...this.removals];
    this.removals = new Map();
    this.removalCount = 0;
    const round = Promise.all(rounds.map(([model, docs]) => this.removeFrom(model, docs))).then(() => undefined);
    this.removing = round;
    try {
      await round;
    } finally {
      if (this.removing === round) this.removing = undefined;
    }
  }

  private async removeFrom(model: AnyModel, docs: Map<string, { id: unknown; entries: OutboxEntry[] }>): Promise<void> {
    const ops = [...docs.values()].map(({ id, entries }) => ({
      updateOne: { filter: { _id: id }, update: { $pullAll: { outbox: entries } } },
    }));
    try {
      await model.collection.bulkWrite(ops as never, { ordered: false });
    } catch (err) {
      this.logger.warn(
        { err: (err as Error)?.message ?? err, collection: model.collection.collectionName, documents: ops.length },
        'could not remove published outbox entries, will retry',
      );
      for (const { id, entries } of docs.values()) this.remove(model, id, entries, true);
    }
  }

  /** What a sweep found still stored: the gauges keep it if the publish then fails. */
  private recordPending(collection: string, docs: { outbox: OutboxEntry[] }[]) {
    let count = 0;
    let oldest = Number.POSITIVE_INFINITY;
    for (const d of docs) {
      for (const e of d.outbox ?? []) {
        count++;
        try {
          const at = Date.parse(JSON.parse(e.payload)?.meta?.publishedAt ?? '');
          if (!Number.isNaN(at)) oldest = Math.min(oldest, at);
        } catch {
          /* an unreadable payload still counts as pending */
        }
      }
    }
    metrics.outboxPending.set({ collection }, count);
    metrics.outboxOldestAge.set({ collection }, Number.isFinite(oldest) ? Math.max(0, Date.now() - oldest) / 1000 : 0);
  }

  private remember(entryId: string) {
    this.recent.add(entryId);
    if (this.recent.size > RECENT_LIMIT) {
      const oldest = this.recent.values().next().value as string;
      this.recent.delete(oldest);
    }
  }

  private async sweep(): Promise<number> {
    let sent = 0;
    const batchSize = this.opts.batchSize ?? 100;
    for (const model of this.models) {
      const collection = model.collection.collectionName;
      // A bounded number of batches per pass: the next sweep continues.
      for (let round = 0; round < 20; round++) {
        const docs = (await model.collection
          .find({ 'outbox.id': { $exists: true } }, { projection: { outbox: 1 } })
          .limit(batchSize)
          .toArray()) as unknown as { _id: unknown; outbox: OutboxEntry[] }[];
        if (round === 0) this.recordPending(collection, docs);
        for (const doc of docs) sent += await this.publishDocument(model, doc._id, doc.outbox);
        if (docs.length < batchSize) break;
        // Before the next batch: what this one published must no longer match the query.
        await this.removeNow();
      }
      metrics.outboxPending.set({ collection }, 0);
      metrics.outboxOldestAge.set({ collection }, 0);
    }
    if (sent) this.logger.info({ sent }, 'outbox sweep published pending entries');
    return sent;
  }

  /** Publishes every pending entry once (a full sweep); returns how many were sent. */
  async flush(): Promise<number> {
    let sent = 0;
    for (const p of [...this.queue.values()]) sent += await this.publishDocument(p.model, p.id, p.outbox);
    this.queue.clear();
    sent += await this.sweep();
    await this.removeNow();
    return sent;
  }

  /** Stops the timer and waits for a running pass; pending entries stay for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    outboxSignal.off('written', this.onWritten);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    // What was published goes from the store now, not with the next start's sweep.
    await this.removeNow().catch(() => undefined);
  }
}
