import type { Logger } from 'pino';
import { DEAD_LETTER_SUBJECT } from '../events/subjects';
import type { AnyEvent, EventEnvelope } from '../events/types';
import { parseEnvelope } from '../events/schemas';
import type { BusSubscription, Delivery, EventBus } from './event-bus';
import { isTransientError } from '../errors/transient';
import { metrics } from '../metrics/metrics';
import { contextFrom, SpanKind, withSpan } from '../tracing/tracing';

/**
 * Thrown by a handler when the event is ahead of what it has stored (a version gap): it is
 * not acked and comes back after ackWait, by which time the missing event has usually
 * arrived. Counted against the larger `maxOutOfOrderAttempts` budget.
 */
export class EventOutOfOrderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventOutOfOrderError';
  }
}

export interface MessageContext {
  eventId: string;
  requestId?: string;
  /** 1 on the first try of this event in this process; counts every try, transient ones too. */
  attempt: number;
  logger: Logger;
}

export type DeliveryOutcome = 'acked' | 'retry' | 'dead-lettered';

export interface DeadLetter {
  subject: string;
  queueGroup: string;
  eventId?: string;
  sequence?: number;
  attempts: number;
  error: string;
  raw: string;
  deadLetteredAt: string;
}

interface Failures {
  /** Failures of the handler on this event's own content: these lead to the dead letters. */
  content: number;
  /** Version gaps: the event is ahead of what is stored; a larger budget. */
  outOfOrder: number;
  /** Dependency outages (database, Redis, Stripe): never dead-letter, only back off. */
  transient: number;
  lastError?: string;
}

interface RunResult {
  outcome: DeliveryOutcome;
  error?: string;
  /** With 'retry': how long to wait before trying again in this process. */
  delayMs?: number;
}

/** Remembered failure counts, at most; the oldest are forgotten first. */
const MAX_TRACKED = 10_000;

/**
 * A typed, durable, queue-grouped listener: a service names the subject and the queue
 * group and writes `onMessage`. Deliver-all-available + durable name = a listener that was
 * down gets what it missed; manual ack = a message is acked only after `onMessage`
 * resolved, i.e. after the change is stored.
 *
 * Failures are counted here, per event id, not by the server's redelivery count (which also
 * counts ack timeouts while a dependency is down). A failed delivery is retried in-process
 * with backoff, without waiting for the server's ackWait and without blocking the messages
 * behind it (so the missing earlier version of a gap can arrive meanwhile):
 * - a transient failure (`isTransientError`: the database, Redis or Stripe is down) is
 *   retried for as long as it lasts and never dead-lettered;
 * - a version gap (`EventOutOfOrderError`) gets `maxOutOfOrderAttempts` tries;
 * - any other failure is the event's own fault: after `maxAttempts` it is dead-lettered,
 *   so one poison message never loops forever.
 * ackWait is longer than the longest handler, so the server does not hand the same message
 * to another member while one is still working on it.
 */
export abstract class Listener<E extends AnyEvent> {
  abstract readonly subject: E['subject'];
  abstract readonly queueGroupName: string;
  abstract onMessage(data: E['data'], ctx: MessageContext): Promise<void>;

  /**
   * Longer than one run of the handler: a handler's database calls give up after ~3 s
   * (serverSelectionTimeoutMS, bufferTimeoutMS), and a failed run is retried in-process,
   * with a redelivery of a message still in hand folded into it. Short enough that a
   * message stranded by a lost connection comes back soon. A handler that calls out for
   * longer (a Stripe refund) sets its own.
   */
  ackWaitMs = 10_000;
  /** false: a per-process, non-durable subscription from now on (see SubscribeOptions). */
  durable = true;
  maxAttempts = 5;
  maxOutOfOrderAttempts = 60;
  maxInFlight = 32;
  /** In-process retry backoff: first delay, and the cap it doubles up to. */
  retryDelayMs = 100;
  maxRetryDelayMs = 5_000;

  /**
   * The lane a delivery is handled in. Deliveries of one lane are handled one at a time,
   * in arrival order: a versioned replica then sees a gap only when the bus itself
   * reorders, never because two handlers of one document raced. Lanes run side by side
   * (at most `maxInFlight` deliveries in hand), so one slow event does not hold up the
   * events of other documents behind it.
   *
   * Default: one lane for every delivery (strictly serial). A listener whose handler writes
   * one document returns that document's id (the ticket of a replica update, the order of
   * a status change): the events of one document keep their order, the others overlap.
   * Called on the event's data before validation; a malformed message goes to the shared
   * lane, and to the dead letters from there.
   */
  protected orderingKey(_data: E['data']): string | undefined {
    return undefined;
  }

  /**
   * Whether a delivery whose `orderingKey` is `key` is in this process's hands: being
   * handled, or waiting to be retried (its handler failed, say, while the database was
   * down). Another listener of the same document asks this before acting on a view that
   * the waiting event would change (orders does not end a hold while a payment event for
   * that order waits).
   */
  holds(key: string): boolean {
    return (this.lanesInHand.get(`k:${key}`) ?? 0) > 0;
  }

  private subscription?: BusSubscription;
  /** The tail of each lane's work; a lane is forgotten once its tail has run. */
  private readonly lanes = new Map<string, Promise<void>>();
  /** Deliveries in hand per lane (for `holds`). */
  private readonly lanesInHand = new Map<string, number>();
  private stopped = false;
  private readonly failures = new Map<string, Failures>();
  /** Messages held here (being handled or waiting to be retried), by server sequence. */
  private readonly inHand = new Map<number, { delivery: Delivery; lane: string }>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    protected readonly bus: EventBus,
    protected readonly logger: Logger,
  ) {}

  listen(): this {
    this.stopped = false;
    this.subscription = this.bus.subscribe(
      {
        subject: this.subject,
        queueGroup: this.queueGroupName,
        ackWaitMs: this.ackWaitMs,
        maxInFlight: this.maxInFlight,
        durable: this.durable,
      },
      (delivery) => this.accept(delivery),
    );
    return this;
  }

  /** Stops taking messages and waits for the one in hand; the durable position is kept. */
  async close(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.subscription?.close();
    this.subscription = undefined;
    while (this.lanes.size > 0) await Promise.all(this.lanes.values());
    this.inHand.clear();
    this.lanesInHand.clear();
  }

  private accept(delivery: Delivery): void {
    const held = this.inHand.get(delivery.sequence);
    if (held) {
      // The server gave it to us again (ackWait passed, or a new connection): the copy we
      // hold is being handled or retried; keep the newest handle so its ack counts.
      held.delivery = delivery;
      return;
    }
    const lane = this.laneOf(delivery.raw);
    this.inHand.set(delivery.sequence, { delivery, lane });
    this.lanesInHand.set(lane, (this.lanesInHand.get(lane) ?? 0) + 1);
    this.enqueue(delivery.sequence);
  }

  /** The delivery is done with (acked or dead-lettered): out of our hands. */
  private release(sequence: number): void {
    const held = this.inHand.get(sequence);
    if (!held) return;
    this.inHand.delete(sequence);
    const left = (this.lanesInHand.get(held.lane) ?? 1) - 1;
    if (left > 0) this.lanesInHand.set(held.lane, left);
    else this.lanesInHand.delete(held.lane);
  }

  /** The delivery's lane: `orderingKey` of its data, or the shared lane ('') when there is none or the message does not parse. */
  private laneOf(raw: string): string {
    try {
      const key = this.orderingKey(JSON.parse(raw)?.data);
      return typeof key === 'string' ? `k:${key}` : '';
    } catch {
      return '';
    }
  }

  private enqueue(sequence: number): void {
    const lane = this.inHand.get(sequence)?.lane ?? '';
    const tail = (this.lanes.get(lane) ?? Promise.resolve())
      .then(async () => {
        const delivery = this.inHand.get(sequence)?.delivery;
        if (this.stopped || !delivery) return;
        const result = await this.process(delivery);
        if (result.outcome === 'retry' && !this.stopped) {
          const timer = setTimeout(() => {
            this.timers.delete(timer);
            if (!this.stopped) this.enqueue(sequence);
          }, result.delayMs ?? this.retryDelayMs);
          this.timers.add(timer);
        } else {
          this.release(sequence);
        }
      })
      .catch((err) => this.logger.error({ err, subject: this.subject }, 'listener failed to process a delivery'))
      .finally(() => {
        if (this.lanes.get(lane) === tail) this.lanes.delete(lane);
      });
    this.lanes.set(lane, tail);
  }

  /** Handles one raw delivery once: parse, check, run the handler, then ack or leave for a retry. */
  async receive(delivery: Delivery): Promise<DeliveryOutcome> {
    return (await this.process(delivery)).outcome;
  }

  private async process(delivery: Delivery): Promise<RunResult> {
    const parsed = parseEnvelope<E>(this.subject, delivery.raw);
    if (!parsed.ok) {
      // Retrying cannot fix a malformed message: straight to the dead letters.
      return this.deadLetter(delivery, 1, parsed.error);
    }
    const result = await this.run(parsed.envelope);
    if (result.outcome === 'acked') safeAck(delivery, this.logger);
    else if (result.outcome === 'dead-lettered') {
      const f = this.failures.get(parsed.envelope.id);
      this.failures.delete(parsed.envelope.id);
      return this.deadLetter(delivery, f ? f.content + f.outOfOrder : 1, result.error ?? '', parsed.envelope.id);
    }
    return result;
  }

  /**
   * Runs the handler for one envelope; also the entry point of listener tests, which deliver
   * the same envelope twice or out of order and check the stored effect. `attempt`, when
   * given, says which try this is (a test of the dead-letter budget).
   */
  async handle(envelope: EventEnvelope<E>, attempt?: number): Promise<DeliveryOutcome> {
    if (attempt !== undefined) {
      const f = this.failuresOf(envelope.id);
      f.content = Math.max(f.content, attempt - 1);
    }
    const result = await this.run(envelope);
    if (result.outcome !== 'retry') this.failures.delete(envelope.id);
    return result.outcome;
  }

  private failuresOf(eventId: string): Failures {
    let f = this.failures.get(eventId);
    if (!f) {
      f = { content: 0, outOfOrder: 0, transient: 0 };
      this.failures.set(eventId, f);
      if (this.failures.size > MAX_TRACKED) this.failures.delete(this.failures.keys().next().value as string);
    }
    return f;
  }

  private backoff(n: number): number {
    const base = Math.min(this.retryDelayMs * 2 ** Math.max(0, n - 1), this.maxRetryDelayMs);
    return Math.round(base * (0.75 + Math.random() * 0.5));
  }

  private async run(envelope: EventEnvelope<E>): Promise<RunResult> {
    const known = this.failures.get(envelope.id);
    const attempt = known ? known.content + known.outOfOrder + known.transient + 1 : 1;
    const logger = this.logger.child({
      subject: this.subject,
      eventId: envelope.id,
      reqId: envelope.meta?.requestId,
      attempt,
    });
    const labels = { subject: this.subject, queue_group: this.queueGroupName };
    const timer = metrics.handlerDuration.startTimer(labels);
    try {
      // The handler runs in the trace of whatever caused the event, so its own events and
      // calls out (Stripe) continue that trace.
      await withSpan(
        `process ${this.subject}`,
        () => this.onMessage(envelope.data, { eventId: envelope.id, requestId: envelope.meta?.requestId, attempt, logger }),
        {
          kind: SpanKind.CONSUMER,
          parent: contextFrom(envelope.meta),
          attributes: { 'messaging.system': 'nats-streaming', 'messaging.destination.name': this.subject, 'messaging.message.id': envelope.id, 'messaging.consumer.group.name': this.queueGroupName },
        },
      );
      timer();
      this.failures.delete(envelope.id);
      metrics.eventsHandled.inc(labels);
      const published = Date.parse(envelope.meta?.publishedAt ?? '');
      if (!Number.isNaN(published)) metrics.eventLag.observe(labels, Math.max(0, Date.now() - published) / 1000);
      logger.debug('event handled');
      return { outcome: 'acked' };
    } catch (err) {
      timer();
      const error = err instanceof Error ? err.message : String(err);
      const f = this.failuresOf(envelope.id);
      f.lastError = error;
      const kind = isTransientError(err) ? 'transient' : err instanceof EventOutOfOrderError ? 'out_of_order' : 'content';
      metrics.eventsFailed.inc({ ...labels, kind });
      if (kind === 'transient') {
        f.transient++;
        logger.warn({ reason: error, transientFailures: f.transient }, 'dependency unavailable, will retry the event');
        return { outcome: 'retry', error, delayMs: this.backoff(f.transient) };
      }
      if (err instanceof EventOutOfOrderError) {
        f.outOfOrder++;
        if (f.outOfOrder >= this.maxOutOfOrderAttempts) return { outcome: 'dead-lettered', error };
        logger.info({ reason: error }, 'event ahead of local state, will retry');
        return { outcome: 'retry', error, delayMs: this.backoff(f.outOfOrder) };
      }
      f.content++;
      if (f.content >= this.maxAttempts) return { outcome: 'dead-lettered', error };
      logger.warn({ err }, 'event handler failed, will retry');
      return { outcome: 'retry', error, delayMs: this.backoff(f.content) };
    }
  }

  private async deadLetter(delivery: Delivery, attempts: number, error: string, eventId?: string): Promise<RunResult> {
    const letter: DeadLetter = {
      subject: this.subject,
      queueGroup: this.queueGroupName,
      eventId,
      sequence: delivery.sequence,
      attempts,
      error,
      raw: delivery.raw,
      deadLetteredAt: new Date().toISOString(),
    };
    try {
      await this.bus.publishRaw(DEAD_LETTER_SUBJECT, JSON.stringify(letter));
    } catch (err) {
      // Without the dead letter stored we must not drop the message: keep it and retry.
      this.logger.error({ err, subject: this.subject, eventId }, 'could not dead-letter, will retry');
      if (eventId) this.failuresOf(eventId).content = Math.max(this.maxAttempts - 1, 0);
      return { outcome: 'retry', error, delayMs: this.maxRetryDelayMs };
    }
    this.logger.error({ subject: this.subject, eventId, attempts, error }, 'event dead-lettered');
    metrics.eventsDeadLettered.inc({ subject: this.subject, queue_group: this.queueGroupName });
    safeAck(delivery, this.logger);
    return { outcome: 'dead-lettered', error };
  }
}

/**
 * An ack after the connection was lost throws inside node-nats-streaming (its connection
 * is gone). Harmless: the server redelivers the message, and the handler is idempotent.
 */
function safeAck(delivery: Delivery, logger: Logger): void {
  try {
    delivery.ack();
  } catch (err) {
    logger.warn({ err: (err as Error)?.message, sequence: delivery.sequence }, 'ack failed (connection lost), the server will redeliver');
  }
}
