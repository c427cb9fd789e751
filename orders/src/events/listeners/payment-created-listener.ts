import { Listener, MessageContext, OrderStatus, PaymentCreatedEvent, QueueGroups, Subjects } from '@ticketing/common';
import { completeOrder } from '../../models/order';

export class PaymentCreatedListener extends Listener<PaymentCreatedEvent> {
  readonly subject = Subjects.PaymentCreated;
  readonly queueGroupName = QueueGroups.Orders;

  /** One lane per order: its events in order, other orders' alongside (the order it completes). */
  protected override orderingKey(data: PaymentCreatedEvent['data']): string {
    return data.orderId;
  }

  async onMessage({ id, orderId, stripeId }: PaymentCreatedEvent['data'], ctx: MessageContext): Promise<void> {
    // No event: no other service listens for a completed order. A conditional write on the
    // status, like every cancel's, so a cancel and this payment cannot both win.
    const order = await completeOrder(orderId, id);
    if (!order) throw new Error(`payment ${id} for unknown order ${orderId}`);
    if (order.status === OrderStatus.Cancelled) {
      // Orders cancelled first, so order:cancelled is on its way to payments, which refunds
      // a charge of a cancelled order (and then tells us with payment:refunded).
      ctx.logger.warn({ orderId, paymentId: id, stripeId }, 'payment for a cancelled order ignored: payments refunds it');
    } else if (order.paymentId && order.paymentId !== id) {
      ctx.logger.error(
        { orderId, paymentId: id, stripeId, firstPaymentId: order.paymentId },
        'second payment for a paid order: needs a refund',
      );
    }
  }
}
