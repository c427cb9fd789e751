import { ExpirationCompleteEvent, OrderCreatedEvent, Subjects } from '@ticketing/common';
import { captureLogger, envelopeOf, InMemoryBus, sleep, waitFor } from '@ticketing/common/testing';
import { OrderCreatedListener } from '../../events/listeners/order-created-listener';
import { EXPIRE_ORDER_JOB, expirationJobId } from '../expiration-queue';
import { orderCreatedData, useTestQueues } from '../../test/helpers';
import type { ExpirationJobs } from '../expiration-jobs';

const queues = useTestQueues();

/** A bus whose first publishes fail, as while the streaming server restarts. */
class FlakyBus extends InMemoryBus {
  readonly attempts: number[] = [];
  constructor(private failuresLeft: number) {
    super();
  }
  override async publishRaw(subject: string, payload: string): Promise<void> {
    this.attempts.push(Date.now());
    if (this.failuresLeft-- > 0) throw new Error('bus unavailable');
    return super.publishRaw(subject, payload);
  }
}

/** A bus that takes a while to store each message. */
class SlowBus extends InMemoryBus {
  started = 0;
  override async publishRaw(subject: string, payload: string): Promise<void> {
    this.started++;
    await sleep(700);
    return super.publishRaw(subject, payload);
  }
}

const schedule = (proc: ExpirationJobs, data: OrderCreatedEvent['data'], requestId?: string) =>
  new OrderCreatedListener(new InMemoryBus(), captureLogger().logger, proc.queue).handle(
    envelopeOf<OrderCreatedEvent>(Subjects.OrderCreated, data, { requestId }),
  );

const expirations = (bus: InMemoryBus) => bus.envelopes<ExpirationCompleteEvent>(Subjects.ExpirationComplete);

it('when an order hold runs out, then expiration:complete {orderId} is published at expiresAt, with the request id', async () => {
  const proc = await queues.open();
  const bus = new InMemoryBus();
  const { logger, lines } = captureLogger();
  await proc.startWorker(bus, logger);
  const data = orderCreatedData(1_000);

  await schedule(proc, data, 'req-order-1');
  await sleep(Date.parse(data.expiresAt) - Date.now() - 150);
  expect(expirations(bus)).toEqual([]);
  await waitFor(() => expirations(bus).length > 0, 3_000, 'expiration:complete');

  const [published] = expirations(bus);
  expect(published.data).toEqual({ orderId: data.id });
  expect(published.meta).toMatchObject({ requestId: 'req-order-1', source: 'expiration' });
  const lateBy = Date.parse(published.meta.publishedAt) - Date.parse(data.expiresAt);
  expect(lateBy).toBeGreaterThanOrEqual(-20);
  expect(lateBy).toBeLessThan(1_000);
  expect(lines).toContainEqual(
    expect.objectContaining({ level: 30, msg: 'order expired', orderId: data.id, reqId: 'req-order-1' }),
  );
});

it('when publishing fails, then the job is retried with exponential backoff and publishes once the bus is back', async () => {
  const proc = await queues.open();
  const bus = new FlakyBus(2);
  const { logger, lines } = captureLogger();
  await proc.startWorker(bus, logger);
  const data = orderCreatedData(-1);

  await schedule(proc, data);
  await waitFor(() => expirations(bus).length > 0, 8_000, 'expiration:complete after retries');
  await waitFor(async () => (await proc.queue.getJob(expirationJobId(data.id)))!.isCompleted(), 10_000, 'job completed');

  expect(expirations(bus).map((e) => e.data)).toEqual([{ orderId: data.id }]);
  // A stable event id: had an earlier attempt reached the bus, listeners would see the same event.
  expect(expirations(bus)[0].id).toBe(`expiration:${expirationJobId(data.id)}`);
  const [first, second, third] = bus.attempts;
  expect(bus.attempts).toHaveLength(3);
  expect(second - first).toBeGreaterThanOrEqual(950);
  expect(third - second).toBeGreaterThanOrEqual(1_950);
  const retries = lines.filter((l) => l.msg === 'expiration:complete publish failed, will retry');
  expect(retries).toEqual([
    expect.objectContaining({ level: 40, orderId: data.id, attempt: 1 }),
    expect.objectContaining({ level: 40, orderId: data.id, attempt: 2 }),
  ]);
});

it('when every attempt fails, then the job is kept as failed and the give-up is logged as an error', async () => {
  const proc = await queues.open();
  const bus = new InMemoryBus();
  bus.failPublishes = true;
  const { logger, lines } = captureLogger();
  await proc.startWorker(bus, logger);
  const orderId = orderCreatedData(0).id;

  // The production budget takes half an hour to run out; the give-up path is the same with 2.
  await proc.queue.add(EXPIRE_ORDER_JOB, { orderId }, { jobId: expirationJobId(orderId), attempts: 2, backoff: 50 });
  await waitFor(async () => (await proc.queue.getJob(expirationJobId(orderId)))!.isFailed(), 10_000, 'job failed');

  expect(expirations(bus)).toEqual([]);
  expect(lines).toContainEqual(
    expect.objectContaining({
      level: 50,
      msg: 'expiration:complete could not be published, giving up: the order stays reserved',
      orderId,
      attempt: 2,
    }),
  );
});

it('when the service restarts before the hold runs out, then the new process fires the job scheduled by the old one', async () => {
  const before = await queues.open();
  const oldBus = new InMemoryBus();
  await before.startWorker(oldBus);
  const data = orderCreatedData(1_500);
  await schedule(before, data);
  await before.close();

  const after = await queues.open();
  const newBus = new InMemoryBus();
  await after.startWorker(newBus);
  await waitFor(() => expirations(newBus).length > 0, 5_000, 'expiration:complete from the new process');
  await sleep(500);

  expect(oldBus.published).toEqual([]);
  expect(expirations(newBus).map((e) => e.data)).toEqual([{ orderId: data.id }]);
  expect(Date.parse(expirations(newBus)[0].meta.publishedAt)).toBeGreaterThanOrEqual(Date.parse(data.expiresAt) - 20);
});

it('when the service stops while a job publishes, then it waits for that job to finish', async () => {
  const proc = await queues.open();
  const bus = new SlowBus();
  await proc.startWorker(bus);
  const data = orderCreatedData(-1);
  await schedule(proc, data);
  await waitFor(() => bus.started > 0, 10_000, 'publish started');

  await proc.close();

  expect(expirations(bus).map((e) => e.data)).toEqual([{ orderId: data.id }]);
  const observer = await queues.open();
  expect(await (await observer.queue.getJob(expirationJobId(data.id)))!.isCompleted()).toBe(true);
});
