import type { BusSubscription, Delivery, EventBus, SubscribeOptions } from '../bus/event-bus';
import type { AnyEvent, EventEnvelope } from '../events/types';
import { Subjects } from '../events/subjects';

/**
 * The bus double of route and listener tests: records every publish, and delivers to
 * subscribers in-process (acks are recorded, nothing is redelivered).
 */
export class InMemoryBus implements EventBus {
  readonly published: { subject: string; payload: string }[] = [];
  readonly acked: number[] = [];
  private seq = 0;
  private subs: { opts: SubscribeOptions; onDelivery: (d: Delivery) => void }[] = [];
  /** Set to make the next publishes fail, as a lost bus would. */
  failPublishes = false;

  async publishRaw(subject: string, payload: string): Promise<void> {
    if (this.failPublishes) throw new Error('bus unavailable');
    this.published.push({ subject, payload });
    const sequence = ++this.seq;
    for (const s of this.subs) {
      if (s.opts.subject !== subject) continue;
      s.onDelivery({ raw: payload, redeliveryCount: 0, sequence, ack: () => this.acked.push(sequence) });
    }
  }

  subscribe(opts: SubscribeOptions, onDelivery: (d: Delivery) => void): BusSubscription {
    const entry = { opts, onDelivery };
    this.subs.push(entry);
    return {
      close: async () => {
        this.subs = this.subs.filter((s) => s !== entry);
      },
    };
  }

  /** Envelopes published on a subject (dead letters are not envelopes: see `deadLetters`). */
  envelopes<E extends AnyEvent>(subject: E['subject']): EventEnvelope<E>[] {
    return this.published.filter((p) => p.subject === subject).map((p) => JSON.parse(p.payload));
  }

  /** Payloads published on a subject, in order. */
  events<E extends AnyEvent>(subject: E['subject']): E['data'][] {
    return this.envelopes<E>(subject).map((e) => e.data);
  }

  /** Every envelope, whatever its subject (not dead letters). */
  allEnvelopes(): EventEnvelope[] {
    const subjects = new Set<string>(Object.values(Subjects));
    return this.published.filter((p) => subjects.has(p.subject)).map((p) => JSON.parse(p.payload));
  }

  deadLetters(): Record<string, unknown>[] {
    return this.published.filter((p) => p.subject === 'dead-letter').map((p) => JSON.parse(p.payload));
  }

  private reconnectCallbacks: (() => void)[] = [];

  onReconnect(callback: () => void): void {
    this.reconnectCallbacks.push(callback);
  }

  disruptedAt = 0;

  lastDisruptionAt(): number {
    return this.disruptedAt;
  }

  /** As after a lost connection: calls every onReconnect callback. */
  simulateReconnect(): void {
    this.disruptedAt = Date.now();
    for (const cb of this.reconnectCallbacks) cb();
  }

  reset(): void {
    this.published.length = 0;
    this.acked.length = 0;
    this.failPublishes = false;
  }
}
