// Where an order stands, payment included, read from the order JSON alone (the order
// page adds the clock: an unpaid hold that ran out is "expired").
import { formatCents, formatOrderStatus } from './format';
import type { Order } from './types';

export type OrderState = 'awaiting' | 'pending' | 'failed' | 'paid' | 'refunded' | 'cancelled';

export function orderState(order: Order): OrderState {
  // A refund only ever follows a charge for an order that was cancelled meanwhile.
  if (order.refund || order.payment?.status === 'refunded') return 'refunded';
  if (order.status === 'complete' || order.payment?.status === 'paid') return 'paid';
  if (order.status === 'cancelled') return 'cancelled';
  if (order.payment?.status === 'pending') return 'pending';
  if (order.payment?.status === 'failed') return 'failed';
  return 'awaiting';
}

/** "Refunded $20.50" (just "Refunded" while the amount is not known yet). */
export function refundText(order: Order): string {
  return order.refund ? `Refunded ${formatCents(order.refund.amount)}` : 'Refunded';
}

/** "Payment failed: <reason>", in the payment service's words when it gave one. */
export function failureText(reason: string | undefined): string {
  return reason ? `Payment failed: ${reason}` : 'Payment failed';
}

/** My orders' status column: a badge, and a line of detail for failures and refunds. */
export function orderStatusSummary(order: Order): { label: string; badge: string; detail?: string } {
  switch (orderState(order)) {
    case 'paid':
      return { label: 'Complete', badge: 'text-bg-success' };
    case 'refunded':
      return { label: 'Cancelled', badge: 'text-bg-secondary', detail: refundText(order) };
    case 'cancelled':
      return { label: 'Cancelled', badge: 'text-bg-secondary' };
    case 'pending':
      return { label: 'Payment in progress…', badge: 'text-bg-info' };
    case 'failed':
      return { label: 'Payment failed', badge: 'text-bg-danger', ...(order.payment?.reason ? { detail: order.payment.reason } : {}) };
    default:
      return { label: formatOrderStatus(order.status), badge: 'text-bg-warning' };
  }
}
