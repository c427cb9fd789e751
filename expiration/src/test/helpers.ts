import { Redis } from 'ioredis';
import { Logger, OrderCreatedEvent, OrderStatus } from '@ticketing/common';
import { captureLogger, newId, unique } from '@ticketing/common/testing';
import { connectRedis } from '../redis';
import { ExpirationJobs } from '../queues/expiration-jobs';

/** An order:created payload whose hold ends `msFromNow` from now (negative: already over). */
export function orderCreatedData(msFromNow: number, id = newId()): OrderCreatedEvent['data'] {
  return {
    id,
    version: 0,
    status: OrderStatus.Created,
    userId: newId(),
    expiresAt: new Date(Date.now() + msFromNow).toISOString(),
    ticket: { id: newId(), price: 20 },
  };
}

/**
 * Each test gets its own BullMQ key prefix on the real Redis, so parallel test files (and
 * other people's) never see each other's jobs. `open()` may be called several times in a
 * test to play a restarted process; everything is closed and the keys deleted afterwards.
 */
export function useTestQueues() {
  const state = { prefix: '', processes: [] as ExpirationJobs[] };

  beforeEach(() => {
    state.prefix = unique('test-expiration');
  });

  afterEach(async () => {
    await Promise.all(state.processes.splice(0).map((p) => p.close()));
    const redis = new Redis(process.env.REDIS_URL!);
    try {
      for await (const keys of redis.scanStream({ match: `${state.prefix}:*`, count: 500 })) {
        if ((keys as string[]).length) await redis.unlink(...(keys as string[]));
      }
    } finally {
      await redis.quit();
    }
  });

  return {
    get prefix() {
      return state.prefix;
    },
    /** One service process's Redis side: its own connections, queue and (once started) worker. */
    async open(logger: Logger = captureLogger().logger, redisUrl = process.env.REDIS_URL!): Promise<ExpirationJobs> {
      const jobs = new ExpirationJobs(await connectRedis(redisUrl, logger, 5_000), logger, state.prefix);
      state.processes.push(jobs);
      return jobs;
    },
  };
}
