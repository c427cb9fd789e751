import { Listener, MessageContext, PaymentFailedEvent, QueueGroups, Subjects } from '@ticketing/common';
import { cancelOverdueOrder, Order, recordPaymentFailure } from '../../models/order';

export class PaymentFailedListener extends Listener<PaymentFailedEvent> {
  readonly subject = Subjects.PaymentFailed;
  readonly queueGroupName = QueueGroups.Orders;

  /** One lane per order: its events in order, other orders' alongside (the order it writes). */
  protected override orderingKey(data: PaymentFailedEvent['data']): string {
    return data.orderId;
  }

  async onMessage({ id, orderId, reason }: PaymentFailedEvent['data'], ctx: MessageContext): Promise<void> {
    const outcome = await recordPaymentFailure(orderId, id, reason, ctx.eventId);
    if (outcome === 'unknown-order') throw new Error(`payment ${id} failed for unknown order ${orderId}`);
    if (outcome === 'ignored') {
      const order = await Order.findById(orderId, { status: 1, payment: 1 }).lean();
      ctx.logger.info(
        { orderId, paymentId: id, status: order?.status, payment: order?.payment?.status },
        'payment:failed ignored: already applied, or the order is paid',
      );
    } else {
      ctx.logger.info({ orderId, paymentId: id, reason }, 'payment failed: hold extension cleared');
    }
    // With the extension gone the hold may already be over: end it now rather than at the
    // next sweep. Also on a redelivery, in case the first delivery stopped between the writes.
    // The payment definitively failed: nothing is in flight, the bus's state does not matter.
    const { cancelled } = await cancelOverdueOrder(orderId, { requestId: ctx.requestId }, { evenIfBusUnsettled: true });
    if (cancelled) ctx.logger.info({ orderId, paymentId: id }, 'hold over: order cancelled after its payment failed');
  }
}
