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

export type AnyEvent =
  | TicketCreatedEvent
  | TicketUpdatedEvent
  | OrderCreatedEvent
  | OrderCancelledEvent
  | ExpirationCompleteEvent
  | PaymentCreatedEvent;

/** The payload type of a subject. */
export type EventData<S extends Subjects> = Extract<AnyEvent, { subject: S }>['data'];

/** What travels on the wire: the payload wrapped with a unique id and tracing metadata. */
export interface EventEnvelope<E extends AnyEvent = AnyEvent> {
  /** Unique per event (not per delivery): duplicates of one event share it. */
  id: string;
  subject: E['subject'];
  data: E['data'];
  meta: { publishedAt: string; requestId?: string; source?: string };
}
