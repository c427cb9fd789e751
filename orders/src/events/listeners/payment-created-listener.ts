import { Listener, MessageContext, OrderStatus, PaymentCreatedEvent, QueueGroups, Subjects } from '@ticketing/common';
import { changeOrderStatus } from '../../models/order';

const PAYABLE = new Set<OrderStatus>([OrderStatus.Created, OrderStatus.AwaitingPayment]);

export class PaymentCreatedListener extends Listener<PaymentCreatedEvent> {
  readonly subject = Subjects.PaymentCreated;
  readonly queueGroupName = QueueGroups.Orders;

  async onMessage({ id, orderId, stripeId }: PaymentCreatedEvent['data'], ctx: MessageContext): Promise<void> {
    // No event: no other service listens for a completed order.
    const order = await changeOrderStatus(orderId, (o) =>
      PAYABLE.has(o.status) ? { status: OrderStatus.Complete, set: { paymentId: id } } : undefined,
    );
    if (!order) throw new Error(`payment ${id} for unknown order ${orderId}`);
    // Money was taken for an order that cannot be fulfilled. Acked, since retrying cannot
    // help; the error log is what brings a person to refund it.
    if (order.status === OrderStatus.Cancelled) {
      ctx.logger.error({ orderId, paymentId: id, stripeId }, 'payment for a cancelled order: needs a refund');
    } else if (order.paymentId && order.paymentId !== id) {
      ctx.logger.error(
        { orderId, paymentId: id, stripeId, firstPaymentId: order.paymentId },
        'second payment for a paid order: needs a refund',
      );
    }
  }
}
