import type { Worker } from 'bullmq';
import { createLogger, main, runService } from '@ticketing/common';
import { buildApp } from './app';
import { loadServiceConfig } from './config';
import { OrderCreatedListener } from './events/listeners/order-created-listener';
import { createExpirationQueue, ExpirationJobData } from './queues/expiration-queue';
import { createExpirationWorker } from './queues/expiration-worker';
import { connectRedis } from './redis';

main('expiration', async () => {
  const config = loadServiceConfig();
  const logger = createLogger('expiration', config.LOG_LEVEL);
  // Redis first: the listener needs the queue as soon as the bus delivers.
  const redis = await connectRedis(config.REDIS_URL, logger);
  const queue = createExpirationQueue({ connection: redis.queue }, logger);
  let worker: Worker<ExpirationJobData> | undefined;

  return runService({
    name: 'expiration',
    logger,
    port: config.PORT,
    nats: { url: config.NATS_URL, clusterId: config.NATS_CLUSTER_ID, clientId: config.NATS_CLIENT_ID },
    app: ({ isReady }) => buildApp({ logger, isReady }),
    listeners: ({ bus }) => [new OrderCreatedListener(bus, logger, queue)],
    onStart: async ({ bus }) => {
      worker = createExpirationWorker({ connection: redis.worker }, bus, logger);
      await worker.waitUntilReady();
    },
    // Runs after the listeners stopped and before the bus closes: a job being published
    // finishes; jobs not yet due stay in Redis for the next start.
    onStop: async () => {
      await worker?.close();
      await queue.close();
      await redis.close();
    },
    isReady: redis.isReady,
  });
});
