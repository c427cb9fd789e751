import { randomUUID } from 'node:crypto';
import type { AnyEvent, EventEnvelope } from '../events/types';
import { assertEventData } from '../events/schemas';
import type { EventBus } from './event-bus';
import type { OutboxEntry } from '../outbox/outbox-entry';
import { traceMeta } from '../tracing/tracing';

export interface PublishMeta {
  requestId?: string;
  source?: string;
  /**
   * The event id, when the caller can derive a stable one (e.g. from a job id), so a
   * retried publish is recognisably the same event. Default: a new random id.
   */
  eventId?: string;
}

/** Wraps a payload with its unique event id and metadata, after checking its schema. */
export function createEnvelope<E extends AnyEvent>(
  subject: E['subject'],
  data: E['data'],
  meta: PublishMeta = {},
): EventEnvelope<E> {
  const { eventId, ...rest } = meta;
  return {
    id: eventId ?? randomUUID(),
    subject,
    data: assertEventData(subject, data) as E['data'],
    meta: { publishedAt: new Date().toISOString(), ...traceMeta(), ...rest },
  };
}

/**
 * A typed publisher: a service names only the subject. `publish` sends now (for work that
 * has no database write to tie the event to); `toOutbox` builds the entry a service stores
 * in the same single-document write as the change, for the outbox relay to send.
 */
export abstract class Publisher<E extends AnyEvent> {
  abstract readonly subject: E['subject'];

  constructor(protected readonly bus?: EventBus) {}

  async publish(data: E['data'], meta?: PublishMeta): Promise<EventEnvelope<E>> {
    if (!this.bus) throw new Error(`${this.constructor.name} has no bus to publish on`);
    const envelope = createEnvelope<E>(this.subject, data, meta);
    await this.bus.publishRaw(this.subject, JSON.stringify(envelope));
    return envelope;
  }

  toOutbox(data: E['data'], meta?: PublishMeta): OutboxEntry {
    const envelope = createEnvelope<E>(this.subject, data, meta);
    return { id: envelope.id, subject: this.subject, payload: JSON.stringify(envelope) };
  }
}
