import { OrderCreatedEvent, observeQueue, registry, Subjects } from '@ticketing/common';
import { captureLogger, envelopeOf, InMemoryBus } from '@ticketing/common/testing';
import { OrderCreatedListener } from '../events/listeners/order-created-listener';
import { orderCreatedData, useTestQueues } from '../test/helpers';

// queue_jobs{queue, state} follows BullMQ's counts at every scrape: a scheduled hold shows
// as one more delayed job.
const queues = useTestQueues();

async function delayed(queue: string): Promise<number> {
  const m = (await registry.getSingleMetric('queue_jobs')!.get()) as { values: { labels: Record<string, string>; value: number }[] };
  return m.values.find((v) => v.labels.queue === queue && v.labels.state === 'delayed')?.value ?? 0;
}

it('when an order:created schedules its expiration, then queue_jobs shows one more delayed job', async () => {
  const { queue } = await queues.open();
  const name = `expiration-test-${queues.prefix}`;
  observeQueue(name, () => queue.getJobCounts('waiting', 'delayed', 'active', 'failed'));
  expect(await delayed(name)).toBe(0);

  await new OrderCreatedListener(new InMemoryBus(), captureLogger().logger, queue).handle(
    envelopeOf<OrderCreatedEvent>(Subjects.OrderCreated, orderCreatedData(60_000)),
  );

  expect(await delayed(name)).toBe(1);
});
