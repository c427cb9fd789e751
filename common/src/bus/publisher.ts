import { createEnvelope, sealEnvelope } from '../events/envelope';
import type { PublishMeta, SealedEnvelope } from '../events/envelope';
import type { AnyEvent, EventEnvelope } from '../events/types';
import type { EventBus } from './event-bus';

/**
 * A typed publisher: a service names only the subject. `publish` sends now (for work that
 * has no database write to tie the event to); `toOutbox` seals the envelope a service stores
 * in the same single-document write as the change, for the outbox relay to send.
 */
export abstract class Publisher<E extends AnyEvent> {
  abstract readonly subject: E['subject'];

  constructor(protected readonly bus?: EventBus) {}

  async publish(data: E['data'], meta?: PublishMeta): Promise<EventEnvelope<E>> {
    if (!this.bus) throw new Error(`${this.constructor.name} has no bus to publish on`);
    const envelope = createEnvelope<E>(this.subject, data, meta);
    const sealed = sealEnvelope(envelope);
    await this.bus.publishRaw(sealed.subject, sealed.payload);
    return envelope;
  }

  toOutbox(data: E['data'], meta?: PublishMeta): SealedEnvelope {
    return sealEnvelope(createEnvelope<E>(this.subject, data, meta));
  }
}

