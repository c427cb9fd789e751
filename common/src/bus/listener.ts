import type { Logger } from 'pino';
import { DEAD_LETTER_SUBJECT } from '../events/subjects';
import type { AnyEvent, EventEnvelope } from '../events/types';
import { parseEnvelope } from '../events/schemas';
import type { BusSubscription, Delivery, EventBus } from './event-bus';

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
  /** 1 on the first delivery. */
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

/**
 * A typed, durable, queue-grouped listener: a service names the subject and the queue
 * group and writes `onMessage`. Deliver-all-available + durable name = a listener that was
 * down gets what it missed; manual ack = a message is acked only after `onMessage`
 * resolved, i.e. after the change is stored. A handler that keeps failing is dead-lettered
 * after a bounded number of attempts, so one poison message never loops forever.
 */
export abstract class Listener<E extends AnyEvent> {
  abstract readonly subject: E['subject'];
  abstract readonly queueGroupName: string;
  abstract onMessage(data: E['data'], ctx: MessageContext): Promise<void>;

  ackWaitMs = 5_000;
  maxAttempts = 5;
  maxOutOfOrderAttempts = 60;
  maxInFlight = 32;

  private subscription?: BusSubscription;
  // Deliveries are handled one at a time, in arrival order: versioned replicas then see
  // gaps only when the bus itself reorders, not because two handlers raced.
  private chain: Promise<unknown> = Promise.resolve();
  private stopped = false;

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
      },
      (delivery) => {
        this.chain = this.chain.then(() => (this.stopped ? undefined : this.receive(delivery)));
      },
    );
    return this;
  }

  /** Stops taking messages and waits for the one in hand; the durable position is kept. */
  async close(): Promise<void> {
    this.stopped = true;
    await this.subscription?.close();
    this.subscription = undefined;
    await this.chain;
  }

  /** Handles one raw delivery: parse, check, run the handler, then ack or leave for redelivery. */
  async receive(delivery: Delivery): Promise<DeliveryOutcome> {
    const attempt = delivery.redeliveryCount + 1;
    const parsed = parseEnvelope<E>(this.subject, delivery.raw);
    if (!parsed.ok) {
      // Retrying cannot fix a malformed message: straight to the dead letters.
      return this.deadLetter(delivery, attempt, parsed.error);
    }
    const { outcome, error } = await this.run(parsed.envelope, attempt);
    if (outcome === 'acked') delivery.ack();
    else if (outcome === 'dead-lettered') return this.deadLetter(delivery, attempt, error ?? '', parsed.envelope.id);
    return outcome;
  }

  /**
   * Runs the handler for one envelope; also the entry point of listener tests, which deliver
   * the same envelope twice or out of order and check the stored effect.
   */
  async handle(envelope: EventEnvelope<E>, attempt = 1): Promise<DeliveryOutcome> {
    return (await this.run(envelope, attempt)).outcome;
  }

  private async run(envelope: EventEnvelope<E>, attempt: number): Promise<{ outcome: DeliveryOutcome; error?: string }> {
    const logger = this.logger.child({
      subject: this.subject,
      eventId: envelope.id,
      reqId: envelope.meta?.requestId,
      attempt,
    });
    try {
      await this.onMessage(envelope.data, { eventId: envelope.id, requestId: envelope.meta?.requestId, attempt, logger });
      logger.debug('event handled');
      return { outcome: 'acked' };
    } catch (err) {
      const outOfOrder = err instanceof EventOutOfOrderError;
      const budget = outOfOrder ? this.maxOutOfOrderAttempts : this.maxAttempts;
      const error = err instanceof Error ? err.message : String(err);
      if (attempt >= budget) return { outcome: 'dead-lettered', error };
      if (outOfOrder) logger.info({ reason: error }, 'event ahead of local state, will retry');
      else logger.warn({ err }, 'event handler failed, will retry');
      return { outcome: 'retry', error };
    }
  }

  private async deadLetter(delivery: Delivery, attempts: number, error: string, eventId?: string) {
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
      // Without the dead letter stored we must not drop the message: leave it unacked.
      this.logger.error({ err, subject: this.subject, eventId }, 'could not dead-letter, will retry');
      return 'retry' as const;
    }
    this.logger.error({ subject: this.subject, eventId, attempts, error }, 'event dead-lettered');
    delivery.ack();
    return 'dead-lettered' as const;
  }
}
