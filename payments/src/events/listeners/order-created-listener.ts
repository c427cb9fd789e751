import { createReplica, Listener, OrderCreatedEvent, QueueGroups, Subjects } from '@ticketing/common';
import { Order } from '../../models/order';

/** Starts the replica of a new order, so it can be paid. */
export class OrderCreatedListener extends Listener<OrderCreatedEvent> {
  readonly subject = Subjects.OrderCreated;
  readonly queueGroupName: string = QueueGroups.Payments;

  /** One lane per order: its events in order, other orders' alongside (the order replica it writes). */
  protected override orderingKey(data: OrderCreatedEvent['data']): string {
    return data.id;
  }

  async onMessage(data: OrderCreatedEvent['data']): Promise<void> {
    // A redelivery finds the replica already there (possibly already cancelled, i.e.
    // newer) and leaves it as it is.
    await createReplica(Order, {
      _id: data.id,
      userId: data.userId,
      price: data.ticket.price,
      status: data.status,
      expiresAt: new Date(data.expiresAt),
      version: data.version,
    });
  }
}
