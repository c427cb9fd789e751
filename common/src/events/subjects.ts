export enum Subjects {
  TicketCreated = 'ticket:created',
  TicketUpdated = 'ticket:updated',
  OrderCreated = 'order:created',
  OrderCancelled = 'order:cancelled',
  ExpirationComplete = 'expiration:complete',
  PaymentCreated = 'payment:created',
  /** A charge is about to be sent to Stripe: orders keeps the hold until the outcome. */
  PaymentStarted = 'payment:started',
  /** A charge definitively did not happen (declined, refused, or never reached Stripe). */
  PaymentFailed = 'payment:failed',
  /** A charge that landed on an order that was cancelled or taken was refunded. */
  PaymentRefunded = 'payment:refunded',
}

/** Where a message goes after it failed too often or could not be read at all. */
export const DEAD_LETTER_SUBJECT = 'dead-letter';

/** Queue groups; each is also the durable name of its service's subscriptions. */
export enum QueueGroups {
  Tickets = 'tickets-service',
  Orders = 'orders-service',
  Payments = 'payments-service',
  Expiration = 'expiration-service',
}

export enum OrderStatus {
  /** Reserved, waiting for payment; the hold runs until `expiresAt`. */
  Created = 'created',
  /** Expired, cancelled by the buyer, or lost the ticket to another order. */
  Cancelled = 'cancelled',
  AwaitingPayment = 'awaiting:payment',
  /** Paid; a complete order is never cancelled. */
  Complete = 'complete',
}
