import { ExpirationCompleteEvent, Listener, MessageContext, OrderStatus, QueueGroups, Subjects } from '@ticketing/common';
import { completedOrder } from '../../models/completed-orders';
import { cancelOverdueOrder, holdEndsAt } from '../../models/order';

export class ExpirationCompleteListener extends Listener<ExpirationCompleteEvent> {
  readonly subject = Subjects.ExpirationComplete;
  readonly queueGroupName = QueueGroups.Orders;

  /** One lane per order: its events in order, other orders' alongside (the order it may cancel). */
  protected override orderingKey(data: ExpirationCompleteEvent['data']): string {
    return data.orderId;
  }

  async onMessage({ orderId }: ExpirationCompleteEvent['data'], ctx: MessageContext): Promise<void> {
    // Paid, and completed by this process: nothing to release, nothing to read.
    if (completedOrder(orderId)) return;
    // Only a hold that is over is released; a paid or already cancelled order stays as it is.
    const { order, cancelled, deferred } = await cancelOverdueOrder(orderId, { requestId: ctx.requestId });
    // The order was stored before order:created went out, so this cannot be a race: retry,
    // then dead-letter for someone to look at.
    if (!order) throw new Error(`expiration for unknown order ${orderId}`);
    if (deferred) {
      ctx.logger.warn(
        { orderId },
        'hold over but a payment may be on its way (the bus was just disturbed, or a payment event waits here for its retry): left to the sweeper',
      );
      return;
    }
    if (!cancelled && (order.status === OrderStatus.Created || order.status === OrderStatus.AwaitingPayment)) {
      // Early (clocks differ) or extended by a payment in flight: acked, and the hold ends by
      // the sweeper or by the payment's outcome. Retrying here would only spend attempts.
      ctx.logger.info(
        { orderId, holdEndsAt: holdEndsAt(order).toISOString(), extended: Boolean(order.holdUntil) },
        'expiration before the hold is over: left to the sweeper or the payment outcome',
      );
    }
  }
}
