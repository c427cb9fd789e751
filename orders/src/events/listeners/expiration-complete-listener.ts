import { ExpirationCompleteEvent, Listener, MessageContext, QueueGroups, Subjects } from '@ticketing/common';
import { SERVICE_NAME } from '../../config';
import { cancelOrder } from '../../models/order';

export class ExpirationCompleteListener extends Listener<ExpirationCompleteEvent> {
  readonly subject = Subjects.ExpirationComplete;
  readonly queueGroupName = QueueGroups.Orders;

  async onMessage({ orderId }: ExpirationCompleteEvent['data'], ctx: MessageContext): Promise<void> {
    // A paid or already cancelled order is left as it is; only an unpaid hold is released.
    const order = await cancelOrder(orderId, { requestId: ctx.requestId, source: SERVICE_NAME });
    // The order was stored before order:created went out, so this cannot be a race: retry,
    // then dead-letter for someone to look at.
    if (!order) throw new Error(`expiration for unknown order ${orderId}`);
  }
}
