import { Listener, MessageContext, OrderStatus, PaymentRefundedEvent, QueueGroups, Subjects } from '@ticketing/common';
import { Order, recordRefund } from '../../models/order';

export class PaymentRefundedListener extends Listener<PaymentRefundedEvent> {
  readonly subject = Subjects.PaymentRefunded;
  readonly queueGroupName = QueueGroups.Orders;

  /** One lane per order: its events in order, other orders' alongside (the order it writes). */
  protected override orderingKey(data: PaymentRefundedEvent['data']): string {
    return data.orderId;
  }

  async onMessage({ id, orderId, refundId, amount }: PaymentRefundedEvent['data'], ctx: MessageContext): Promise<void> {
    const outcome = await recordRefund(orderId, id, { id: refundId, amount });
    if (outcome === 'unknown-order') throw new Error(`refund ${refundId} for unknown order ${orderId}`);
    if (outcome === 'applied') {
      ctx.logger.info({ orderId, paymentId: id, refundId, amount }, 'refund recorded on the cancelled order');
      return;
    }
    const order = await Order.findById(orderId, { status: 1 }).lean();
    if (order?.status === OrderStatus.Cancelled) return; // a redelivery
    // Payments refunds only charges of orders that orders cancelled, and orders never
    // un-cancels: retrying cannot make this fit. Acked, for a person to look at.
    ctx.logger.error({ orderId, paymentId: id, refundId, amount, status: order?.status }, 'refund for an order that is not cancelled');
  }
}
