import { Redis } from 'ioredis';
import { Delivery, ExpirationCompleteEvent, OrderCreatedEvent, Subjects } from '@ticketing/common';
import { captureLogger, envelopeOf, InMemoryBus, sleep, waitFor } from '@ticketing/common/testing';
import { OrderCreatedListener } from '../order-created-listener';
import { expirationJobId, expirationJobOptions } from '../../../queues/expiration-queue';
import { orderCreatedData, useTestQueues } from '../../../test/helpers';

const queues = useTestQueues();

const deliver = (listener: OrderCreatedListener, data: OrderCreatedEvent['data']) =>
  listener.handle(envelopeOf<OrderCreatedEvent>(Subjects.OrderCreated, data));

it('when an order:created arrives, then a job keyed by the order id is stored, delayed until expiresAt', async () => {
  const { queue } = await queues.open();
  const { logger, lines } = captureLogger();
  const listener = new OrderCreatedListener(new InMemoryBus(), logger, queue);
  const data = orderCreatedData(60_000);

  const outcome = await listener.handle(
    envelopeOf<OrderCreatedEvent>(Subjects.OrderCreated, data, { requestId: 'req-created-1' }),
  );

  expect(outcome).toBe('acked');
  const job = await queue.getJob(expirationJobId(data.id));
  expect(job).toBeDefined();
  expect(job!.data).toEqual({ orderId: data.id, requestId: 'req-created-1' });
  expect(await job!.getState()).toBe('delayed');
  expect(Math.abs(job!.timestamp + job!.delay - Date.parse(data.expiresAt))).toBeLessThan(100);
  expect(job!.opts).toMatchObject({
    attempts: expirationJobOptions.attempts,
    backoff: expirationJobOptions.backoff,
  });
  expect(lines).toContainEqual(
    expect.objectContaining({ msg: 'order expiration scheduled', orderId: data.id, reqId: 'req-created-1' }),
  );
});

it('when the same order:created is delivered twice, also after it fired, then one job runs and one expiration:complete is published', async () => {
  const proc = await queues.open();
  const bus = new InMemoryBus();
  const listener = new OrderCreatedListener(bus, captureLogger().logger, proc.queue);
  const data = orderCreatedData(300);
  const envelope = envelopeOf<OrderCreatedEvent>(Subjects.OrderCreated, data);

  expect(await listener.handle(envelope)).toBe('acked');
  expect(await listener.handle(envelope)).toBe('acked');
  // The orders service re-publishing the event (a new event id) is a duplicate too.
  expect(await deliver(listener, data)).toBe('acked');
  expect(await proc.queue.getJobCounts('delayed', 'wait')).toEqual({ delayed: 1, wait: 0 });

  await proc.startWorker(bus);
  await waitFor(() => bus.events(Subjects.ExpirationComplete).length > 0, 10_000, 'expiration:complete');
  await waitFor(async () => (await proc.queue.getJob(expirationJobId(data.id)))!.isCompleted(), 10_000, 'job completed');
  expect(await listener.handle(envelope)).toBe('acked');
  await sleep(800);

  expect(bus.events<ExpirationCompleteEvent>(Subjects.ExpirationComplete)).toEqual([{ orderId: data.id }]);
  expect(await proc.queue.getJobCounts('completed', 'delayed', 'wait')).toEqual({ completed: 1, delayed: 0, wait: 0 });
});

it('when expiresAt is already past, then expiration:complete is published at once', async () => {
  const proc = await queues.open();
  const bus = new InMemoryBus();
  const listener = new OrderCreatedListener(bus, captureLogger().logger, proc.queue);
  await proc.startWorker(bus);
  const data = orderCreatedData(-60_000);

  const handledAt = Date.now();
  await deliver(listener, data);
  await waitFor(() => bus.events(Subjects.ExpirationComplete).length > 0, 2_000, 'expiration:complete');

  const [published] = bus.envelopes<ExpirationCompleteEvent>(Subjects.ExpirationComplete);
  expect(published.data).toEqual({ orderId: data.id });
  expect(Date.parse(published.meta.publishedAt) - handledAt).toBeLessThan(1_000);
  expect((await proc.queue.getJob(expirationJobId(data.id)))!.delay).toBe(0);
});

it('when order ids are ones BullMQ refuses as job ids (integers, a colon), then each is still scheduled and fires', async () => {
  const proc = await queues.open();
  const bus = new InMemoryBus();
  const listener = new OrderCreatedListener(bus, captureLogger().logger, proc.queue);
  await proc.startWorker(bus);

  for (const id of ['12345', 'ab:cd', 'ab%3Acd']) {
    expect(await deliver(listener, orderCreatedData(-1, id))).toBe('acked');
  }

  await waitFor(() => bus.events(Subjects.ExpirationComplete).length >= 3, 10_000, 'three expirations');
  await sleep(300);
  const orderIds = bus.events<ExpirationCompleteEvent>(Subjects.ExpirationComplete).map((e) => e.orderId);
  expect(orderIds.sort()).toEqual(['12345', 'ab%3Acd', 'ab:cd']);
});

it('when Redis is lost, then the message is not acked (it comes back), nothing is scheduled and the failure is logged', async () => {
  const { redis, queue } = await queues.open();
  const { logger, lines } = captureLogger();
  const listener = new OrderCreatedListener(new InMemoryBus(), logger, queue);
  const data = orderCreatedData(60_000);
  const acks: number[] = [];
  const delivery: Delivery = {
    raw: JSON.stringify(envelopeOf<OrderCreatedEvent>(Subjects.OrderCreated, data)),
    redeliveryCount: 0,
    sequence: 7,
    ack: () => acks.push(7),
  };
  redis.queue.disconnect();

  expect(await listener.receive(delivery)).toBe('retry');

  expect(acks).toEqual([]);
  expect(lines).toContainEqual(expect.objectContaining({ level: 40, msg: 'event handler failed, will retry' }));
  const observer = new Redis(process.env.REDIS_URL!);
  try {
    expect(await observer.keys(`${queues.prefix}:*${encodeURIComponent(data.id)}*`)).toEqual([]);
  } finally {
    await observer.quit();
  }
});

it('when an order:created is malformed, then it is dead-lettered and nothing is scheduled', async () => {
  const { queue } = await queues.open();
  const bus = new InMemoryBus();
  const listener = new OrderCreatedListener(bus, captureLogger().logger, queue);
  const envelope = envelopeOf<OrderCreatedEvent>(Subjects.OrderCreated, orderCreatedData(1_000));
  const raw = JSON.stringify({ ...envelope, data: { ...envelope.data, expiresAt: 'tomorrow' } });

  const outcome = await listener.receive({ raw, redeliveryCount: 0, sequence: 1, ack: () => undefined });

  expect(outcome).toBe('dead-lettered');
  expect(bus.deadLetters()).toHaveLength(1);
  expect(await queue.getJobCounts('delayed', 'wait')).toEqual({ delayed: 0, wait: 0 });
});
