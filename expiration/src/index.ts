import { createLogger, main, runtimeOptions, observeQueue, runService } from '@ticketing/common';
import { buildApp } from './app';
import { loadServiceConfig, SERVICE_NAME } from './config';
import { OrderCreatedListener } from './events/listeners/order-created-listener';
import { ExpirationJobs } from './queues/expiration-jobs';
import { connectRedis } from './redis';

main(SERVICE_NAME, async () => {
  const config = loadServiceConfig();
  const logger = createLogger(SERVICE_NAME, config.LOG_LEVEL);
  // Redis first: the listener needs the queue as soon as the bus delivers.
  const redis = await connectRedis(config.REDIS_URL, logger);
  const jobs = new ExpirationJobs(redis, logger);
  observeQueue('expiration', () => jobs.queue.getJobCounts('waiting', 'delayed', 'active', 'failed'));

  return runService({
    name: SERVICE_NAME,
    logger,
    ...runtimeOptions(config),
    app: ({ isReady }) => buildApp({ logger, isReady }),
    listeners: ({ bus }) => [new OrderCreatedListener(bus, logger, jobs.queue)],
    onStart: async ({ bus }) => {
      await jobs.startWorker(bus);
    },
    // After the listeners stopped, before the bus closes: a job being published can finish.
    onStop: () => jobs.close(),
    isReady: redis.isReady,
  });
});
