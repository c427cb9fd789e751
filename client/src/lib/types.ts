// Shapes of the HTTP API (DESIGN.md §2) as the client sees them.

export interface CurrentUser {
  id: string;
  email: string;
}

export interface Ticket {
  id: string;
  title: string;
  price: number;
  userId: string;
  version: number;
  /** Set while an order holds the ticket. */
  orderId?: string;
}

export type OrderStatus = 'created' | 'cancelled' | 'awaiting:payment' | 'complete';

export interface Order {
  id: string;
  userId: string;
  status: OrderStatus;
  /** ISO date: the end of the hold. */
  expiresAt: string;
  ticket: { id: string; title: string; price: number; version?: number };
  version: number;
}

/** One entry of the API's error shape `{"errors":[{message, field?}]}`. */
export interface ApiErrorItem {
  message: string;
  field?: string;
}
