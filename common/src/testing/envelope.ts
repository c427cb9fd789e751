import { createEnvelope, PublishMeta } from '../events/envelope';
import type { AnyEvent, EventEnvelope } from '../events/types';

/**
 * An envelope as a listener would receive it, for delivering the same event twice or out
 * of order: `listener.handle(envelopeOf<OrderCreatedEvent>(Subjects.OrderCreated, data))`.
 */
export function envelopeOf<E extends AnyEvent>(
  subject: E['subject'],
  data: E['data'],
  meta?: PublishMeta,
): EventEnvelope<E> {
  return createEnvelope<E>(subject, data, meta);
}
