import { EventOutOfOrderError, Listener, OrderCancelledEvent, OrderStatus, QueueGroups, Subjects } from '@ticketing/common';
import { Order } from '../../models/order';

/** Marks the replica cancelled, so the order can no longer be paid. */
export class OrderCancelledListener extends Listener<OrderCancelledEvent> {
  readonly subject = Subjects.OrderCancelled;
  readonly queueGroupName: string = QueueGroups.Payments;

  async onMessage(data: OrderCancelledEvent['data']): Promise<void> {
    // Compare-and-set on the previous version: applies only the next event in sequence.
    const applied = await Order.findOneAndUpdate(
      { _id: data.id, version: data.version - 1 },
      { $set: { status: OrderStatus.Cancelled, version: data.version } },
    );
    if (applied) return;
    const local = await Order.findById(data.id, { version: 1 }).lean();
    if (local && local.version >= data.version) return; // already applied: a duplicate
    throw new EventOutOfOrderError(
      `order ${data.id} is at version ${local ? local.version : 'none'}, event is version ${data.version}`,
    );
  }
}
