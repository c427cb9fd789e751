import { OrderCreatedEvent, OrderStatus, Subjects } from '@ticketing/common';
import { captureLogger, envelopeOf, InMemoryBus, newId } from '@ticketing/common/testing';
import { OrderCreatedListener } from '../order-created-listener';
import { Order } from '../../../models/order';

const listener = () => new OrderCreatedListener(new InMemoryBus(), captureLogger().logger);

const orderCreated = (over: Partial<OrderCreatedEvent['data']> = {}): OrderCreatedEvent['data'] => ({
  id: newId(),
  version: 0,
  status: OrderStatus.Created,
  userId: newId(),
  expiresAt: new Date(Date.now() + 15 * 60_000).toISOString(),
  ticket: { id: newId(), price: 20.1 },
  ...over,
});

it('when order:created arrives, then the replica holds the order under its id with its owner, price, status and version', async () => {
  const data = orderCreated();

  expect(await listener().handle(envelopeOf<OrderCreatedEvent>(Subjects.OrderCreated, data))).toBe('acked');

  const stored = await Order.findById(data.id).lean();
  expect(stored).toEqual({
    _id: data.id,
    userId: data.userId,
    price: 20.1,
    status: OrderStatus.Created,
    expiresAt: new Date(data.expiresAt),
    version: 0,
  });
});

it('when the same order:created is delivered twice, then both are acked and there is one replica', async () => {
  const envelope = envelopeOf<OrderCreatedEvent>(Subjects.OrderCreated, orderCreated());
  const l = listener();

  expect(await l.handle(envelope)).toBe('acked');
  expect(await l.handle(envelope)).toBe('acked');

  expect(await Order.countDocuments({ _id: envelope.data.id })).toBe(1);
});

it('when a duplicate order:created arrives after the order was cancelled, then the replica stays cancelled', async () => {
  const data = orderCreated();
  await Order.create({ _id: data.id, userId: data.userId, price: 20.1, status: OrderStatus.Cancelled, version: 1 });

  expect(await listener().handle(envelopeOf<OrderCreatedEvent>(Subjects.OrderCreated, data))).toBe('acked');

  const stored = await Order.findById(data.id).lean();
  expect(stored).toMatchObject({ status: OrderStatus.Cancelled, version: 1 });
});
