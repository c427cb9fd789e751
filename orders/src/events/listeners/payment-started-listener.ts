import { Listener, MessageContext, PaymentStartedEvent, QueueGroups, Subjects } from '@ticketing/common';
import { extendHold, Order } from '../../models/order';

export class PaymentStartedListener extends Listener<PaymentStartedEvent> {
  readonly subject = Subjects.PaymentStarted;
  readonly queueGroupName = QueueGroups.Orders;

  /** One lane per order: its events in order, other orders' alongside (the order whose hold it extends). */
  protected override orderingKey(data: PaymentStartedEvent['data']): string {
    return data.orderId;
  }

  async onMessage({ id, orderId, holdUntil }: PaymentStartedEvent['data'], ctx: MessageContext): Promise<void> {
    // Payments is about to call Stripe: the hold must not end under a charge that may still
    // succeed. No event: the extension is orders' own business, and no version is used up.
    const outcome = await extendHold(orderId, id, new Date(holdUntil));
    if (outcome === 'unknown-order') throw new Error(`payment ${id} started for unknown order ${orderId}`);
    if (outcome === 'applied') {
      ctx.logger.info({ orderId, paymentId: id, holdUntil }, 'hold extended while the payment is in flight');
      return;
    }
    const order = await Order.findById(orderId, { status: 1, payment: 1 }).lean();
    ctx.logger.info(
      { orderId, paymentId: id, holdUntil, status: order?.status, payment: order?.payment?.status },
      'payment:started ignored: the order is no longer held, or this attempt was already seen',
    );
  }
}
