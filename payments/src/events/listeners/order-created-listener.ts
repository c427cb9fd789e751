import { isDuplicateKeyError, Listener, OrderCreatedEvent, QueueGroups, Subjects } from '@ticketing/common';
import { Order } from '../../models/order';

/** Starts the replica of a new order, so it can be paid. */
export class OrderCreatedListener extends Listener<OrderCreatedEvent> {
  readonly subject = Subjects.OrderCreated;
  readonly queueGroupName: string = QueueGroups.Payments;

  async onMessage(data: OrderCreatedEvent['data']): Promise<void> {
    try {
      await Order.create({
        _id: data.id,
        userId: data.userId,
        price: data.ticket.price,
        status: data.status,
        expiresAt: new Date(data.expiresAt),
        version: data.version,
      });
    } catch (err) {
      // The order id is the key: a redelivery finds the replica already there (possibly
      // already cancelled, i.e. newer) and must leave it as it is.
      if (isDuplicateKeyError(err)) return;
      throw err;
    }
  }
}
