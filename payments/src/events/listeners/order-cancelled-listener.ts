import { applyNextVersion, Listener, OrderCancelledEvent, OrderStatus, QueueGroups, Subjects } from '@ticketing/common';
import { Order } from '../../models/order';

/** Marks the replica cancelled, so the order can no longer be paid. */
export class OrderCancelledListener extends Listener<OrderCancelledEvent> {
  readonly subject = Subjects.OrderCancelled;
  readonly queueGroupName: string = QueueGroups.Payments;

  async onMessage(data: OrderCancelledEvent['data']): Promise<void> {
    // Only as the next version of what is stored; a redelivery is a no-op, a gap waits.
    await applyNextVersion(Order, data.id, data.version, { status: OrderStatus.Cancelled });
  }
}
