import { OrderCancelledEvent, OrderStatus, Subjects } from '@ticketing/common';
import { captureLogger, envelopeOf, InMemoryBus, newId } from '@ticketing/common/testing';
import { OrderCancelledListener } from '../order-cancelled-listener';
import { Order } from '../../../models/order';

const listener = () => new OrderCancelledListener(new InMemoryBus(), captureLogger().logger);

const cancelled = (id: string, version: number) =>
  envelopeOf<OrderCancelledEvent>(Subjects.OrderCancelled, { id, version, ticket: { id: newId() } });

async function replica(version = 0, status = OrderStatus.Created) {
  return Order.create({ _id: newId(), userId: newId(), price: 10, status, version });
}

const stored = (id: string) => Order.findById(id).lean();

it('when order:cancelled is the next version, then the replica is cancelled at that version', async () => {
  const order = await replica(0);

  expect(await listener().handle(cancelled(order.id, 1))).toBe('acked');

  expect(await stored(order.id)).toMatchObject({ status: OrderStatus.Cancelled, version: 1 });
});

it('when the same order:cancelled is delivered twice, then both are acked and it is applied once', async () => {
  const order = await replica(0);
  const envelope = cancelled(order.id, 1);
  const l = listener();

  expect(await l.handle(envelope)).toBe('acked');
  expect(await l.handle(envelope)).toBe('acked');

  expect(await stored(order.id)).toMatchObject({ status: OrderStatus.Cancelled, version: 1 });
});

it('when order:cancelled is older than the replica, then it is acked and changes nothing', async () => {
  const order = await replica(3);

  expect(await listener().handle(cancelled(order.id, 2))).toBe('acked');

  expect(await stored(order.id)).toMatchObject({ status: OrderStatus.Created, version: 3 });
});

it('when order:cancelled skips a version, then it is left for redelivery and changes nothing until the gap is filled', async () => {
  const order = await replica(0);
  const l = listener();
  const ahead = cancelled(order.id, 2);

  expect(await l.handle(ahead)).toBe('retry');
  expect(await stored(order.id)).toMatchObject({ status: OrderStatus.Created, version: 0 });

  await Order.updateOne({ _id: order.id }, { $set: { version: 1 } }); // the missing event, applied
  expect(await l.handle(ahead, 2)).toBe('acked');
  expect(await stored(order.id)).toMatchObject({ status: OrderStatus.Cancelled, version: 2 });
});

it('when order:cancelled arrives before order:created, then it is left for redelivery and nothing is stored', async () => {
  const id = newId();

  expect(await listener().handle(cancelled(id, 1))).toBe('retry');

  expect(await stored(id)).toBeNull();
});

it('when an event ahead of the replica is retried, then it is logged as out of order, not as a failure', async () => {
  const { logger, lines } = captureLogger();
  const order = await replica(0);

  await new OrderCancelledListener(new InMemoryBus(), logger).handle(cancelled(order.id, 5));

  expect(lines).toContainEqual(expect.objectContaining({ msg: 'event ahead of local state, will retry', level: 30 }));
  expect(lines.filter((l) => l.level >= 40)).toEqual([]);
});
