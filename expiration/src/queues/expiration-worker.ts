import { Worker } from 'bullmq';
import type { EventBus, Logger } from '@ticketing/common';
import { logNonOutageErrors } from '../redis';
import { ExpirationCompletePublisher } from '../events/publishers/expiration-complete-publisher';
import { EXPIRATION_QUEUE, ExpirationJobData, QueueLocation } from './expiration-queue';

/**
 * Publishes expiration:complete when an order's hold runs out. The publish is direct (there
 * is no database write to tie it to); a failed publish throws, which fails the job and lets
 * BullMQ retry it with backoff. `close()` lets a running job finish.
 */
export function createExpirationWorker(
  { connection, prefix }: QueueLocation,
  bus: EventBus,
  logger: Logger,
): Worker<ExpirationJobData> {
  const publisher = new ExpirationCompletePublisher(bus);
  const worker = new Worker<ExpirationJobData>(
    EXPIRATION_QUEUE,
    async (job) => {
      const { orderId, requestId } = job.data;
      // One order expires once: a retry after a publish whose ack was lost carries the same
      // event id, so listeners can tell it is the same event.
      await publisher.publish({ orderId }, { requestId, eventId: `expiration:${job.id}` });
      logger.info({ orderId, reqId: requestId, jobId: job.id, attempt: job.attemptsMade + 1 }, 'order expired');
    },
    // Publishing is a short network call: several at once keep up when many holds end together.
    { connection, prefix, concurrency: 10 },
  );
  worker.on('failed', (job, err) => {
    if (!job) return;
    const context = { orderId: job.data.orderId, jobId: job.id, attempt: job.attemptsMade, err: err.message };
    if (job.attemptsMade >= (job.opts.attempts ?? 1)) {
      logger.error(context, 'expiration:complete could not be published, giving up: the order stays reserved');
    } else {
      logger.warn(context, 'expiration:complete publish failed, will retry');
    }
  });
  worker.on('error', logNonOutageErrors(logger, 'expiration worker'));
  return worker;
}
