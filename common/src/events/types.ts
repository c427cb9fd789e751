import type { z } from 'zod';
import type { Subjects } from './subjects';
import type { eventMetaSchema, eventSchemas } from './schemas';

// Every type here is inferred from the schemas in schemas.ts, the one definition of each
// payload: a field added there is checked at run time and typed at compile time at once.

/** The payload type of a subject. */
export type EventData<S extends Subjects> = z.infer<(typeof eventSchemas)[S]>;

/** An event of one subject: what `Publisher<E>` and `Listener<E>` are typed by. */
export interface EventOf<S extends Subjects> {
  subject: S;
  data: EventData<S>;
}

export type TicketCreatedEvent = EventOf<Subjects.TicketCreated>;
export type TicketUpdatedEvent = EventOf<Subjects.TicketUpdated>;
export type OrderCreatedEvent = EventOf<Subjects.OrderCreated>;
export type OrderCancelledEvent = EventOf<Subjects.OrderCancelled>;
export type ExpirationCompleteEvent = EventOf<Subjects.ExpirationComplete>;
export type PaymentCreatedEvent = EventOf<Subjects.PaymentCreated>;
export type PaymentStartedEvent = EventOf<Subjects.PaymentStarted>;
export type PaymentFailedEvent = EventOf<Subjects.PaymentFailed>;
export type PaymentRefundedEvent = EventOf<Subjects.PaymentRefunded>;

/** Any one event: the union of every subject's event. */
export type AnyEvent = { [S in Subjects]: EventOf<S> }[Subjects];

/** The metadata every envelope carries (`publishedAt`, `requestId`, `source`, trace context). */
export type EventMeta = z.infer<typeof eventMetaSchema>;

/** What travels on the wire: the payload wrapped with a unique id and tracing metadata. */
export interface EventEnvelope<E extends AnyEvent = AnyEvent> {
  /** Unique per event (not per delivery): duplicates of one event share it. */
  id: string;
  subject: E['subject'];
  data: E['data'];
  meta: EventMeta;
}
