import { OrderStatus, Subjects } from './subjects';

export interface TicketCreatedEvent {
  subject: Subjects.TicketCreated;
  data: { id: string; version: number; title: string; price: number; userId: string };
}

export interface TicketUpdatedEvent {
  subject: Subjects.TicketUpdated;
  data: { id: string; version: number; title: string; price: number; userId: string; orderId?: string };
}

export interface OrderCreatedEvent {
  subject: Subjects.OrderCreated;
  data: {
    id: string;
    version: number;
    status: OrderStatus;
    userId: string;
    /** ISO 8601; events carry strings, never Date objects. */
    expiresAt: string;
    ticket: { id: string; price: number };
  };
}

export interface OrderCancelledEvent {
  subject: Subjects.OrderCancelled;
  data: { id: string; version: number; ticket: { id: string } };
}

export interface ExpirationCompleteEvent {
  subject: Subjects.ExpirationComplete;
  data: { orderId: string };
}

export interface PaymentCreatedEvent {
  subject: Subjects.PaymentCreated;
  data: { id: string; orderId: string; stripeId: string };
}

export interface PaymentStartedEvent {
  subject: Subjects.PaymentStarted;
  /** `holdUntil` (ISO): the latest moment the charge can still be settled by the request. */
  data: { id: string; orderId: string; holdUntil: string };
}

export interface PaymentFailedEvent {
  subject: Subjects.PaymentFailed;
  data: { id: string; orderId: string; reason: string };
}

export interface PaymentRefundedEvent {
  subject: Subjects.PaymentRefunded;
  /** `amount` in the smallest currency unit (cents), as Stripe reports it. */
  data: { id: string; orderId: string; stripeId: string; refundId: string; amount: number };
}

export type AnyEvent =
  | TicketCreatedEvent
  | TicketUpdatedEvent
  | OrderCreatedEvent
  | OrderCancelledEvent
  | ExpirationCompleteEvent
  | PaymentCreatedEvent
  | PaymentStartedEvent
  | PaymentFailedEvent
  | PaymentRefundedEvent;

/** The payload type of a subject. */
export type EventData<S extends Subjects> = Extract<AnyEvent, { subject: S }>['data'];

/** What travels on the wire: the payload wrapped with a unique id and tracing metadata. */
export interface EventEnvelope<E extends AnyEvent = AnyEvent> {
  /** Unique per event (not per delivery): duplicates of one event share it. */
  id: string;
  subject: E['subject'];
  data: E['data'];
  /** `traceparent`/`tracestate`: the W3C trace context of the request or handler that caused it. */
  meta: { publishedAt: string; requestId?: string; source?: string; traceparent?: string; tracestate?: string };
}
