import { OrderCancelledEvent, OrderCreatedEvent, OrderStatus, Subjects } from '@ticketing/common';
import { captureLogger, envelopeOf, InMemoryBus, newId } from '@ticketing/common/testing';
import { OrderCancelledListener } from '../events/listeners/order-cancelled-listener';
import { OrderCreatedListener } from '../events/listeners/order-created-listener';

/** Both listeners of the service on one bus double, with their log lines kept. */
export function testListeners() {
  const { logger, lines } = captureLogger();
  const bus = new InMemoryBus();
  return { created: new OrderCreatedListener(bus, logger), cancelled: new OrderCancelledListener(bus, logger), lines };
}

export const orderCreated = (ticketId: string, orderId = newId()) =>
  envelopeOf<OrderCreatedEvent>(
    Subjects.OrderCreated,
    {
      id: orderId,
      version: 0,
      status: OrderStatus.Created,
      userId: newId(),
      expiresAt: new Date(Date.now() + 15 * 60_000).toISOString(),
      ticket: { id: ticketId, price: 20 },
    },
    { requestId: 'req-order-1', source: 'orders' },
  );

export const orderCancelled = (ticketId: string, orderId: string) =>
  envelopeOf<OrderCancelledEvent>(Subjects.OrderCancelled, { id: orderId, version: 1, ticket: { id: ticketId } });
