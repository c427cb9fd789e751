import { randomBytes } from 'node:crypto';
import type { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { EventBus, Logger, OrderCreatedEvent, OrderStatus } from '@ticketing/common';
import { captureLogger, newId } from '@ticketing/common/testing';
import { connectRedis, RedisConnections } from '../redis';
import { createExpirationQueue, ExpirationJobData } from '../queues/expiration-queue';
import { createExpirationWorker } from '../queues/expiration-worker';

export const unique = (name: string) => `${name}-${randomBytes(4).toString('hex')}`;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

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

/** One process's view of the expiration queue: its connections, queue and (once started) worker. */
export interface TestProcess {
  redis: RedisConnections;
  queue: Queue<ExpirationJobData>;
  startWorker(bus: EventBus, logger?: Logger): Worker<ExpirationJobData>;
  /** As the service stops: worker (letting its job finish), queue, connections. */
  stop(): Promise<void>;
}

/**
 * Each test gets its own BullMQ key prefix on the real Redis, so parallel test files (and
 * other people's) never see each other's jobs. `open()` may be called several times in a
 * test to play a restarted process; everything is closed and the keys deleted afterwards.
 */
export function useTestQueues() {
  const state = { prefix: '', processes: [] as TestProcess[] };

  beforeEach(() => {
    state.prefix = unique('test-expiration');
  });

  afterEach(async () => {
    await Promise.all(state.processes.splice(0).map((p) => p.stop()));
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
    async open(logger: Logger = captureLogger().logger): Promise<TestProcess> {
      const redis = await connectRedis(process.env.REDIS_URL!, logger, 5_000);
      const location = { prefix: state.prefix };
      const queue = createExpirationQueue({ ...location, connection: redis.queue }, logger);
      let worker: Worker<ExpirationJobData> | undefined;
      let stopping: Promise<void> | undefined;
      const proc: TestProcess = {
        redis,
        queue,
        startWorker(bus, workerLogger = logger) {
          worker = createExpirationWorker({ ...location, connection: redis.worker }, bus, workerLogger);
          return worker;
        },
        stop() {
          stopping ??= (async () => {
            await worker?.close();
            await queue.close();
            await redis.close();
          })();
          return stopping;
        },
      };
      state.processes.push(proc);
      return proc;
    },
  };
}
