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
  /**
   * The payment as the orders service knows it: `pending` while a charge is under way
   * (the hold is extended past expiresAt meanwhile), `failed` with the reason after a
   * charge definitively did not happen (paying again is allowed while the hold lasts),
   * `paid` once complete, `refunded` once a charge for the cancelled order was refunded.
   */
  payment?: { status: PaymentStatus; reason?: string };
  /** Set on a cancelled order whose charge was refunded; amount in integer cents. */
  refund?: { id: string; amount: number };
}

export type PaymentStatus = 'pending' | 'paid' | 'failed' | 'refunded';

/** One entry of the API's error shape `{"errors":[{message, field?}]}`. */
export interface ApiErrorItem {
  message: string;
  field?: string;
}
