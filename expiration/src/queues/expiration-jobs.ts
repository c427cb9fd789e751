import { Queue, Worker } from 'bullmq';
import type { EventBus, Logger } from '@ticketing/common';
import { logNonOutageErrors, RedisConnections } from '../redis';
import { EXPIRATION_QUEUE, ExpirationJobData, expirationJobOptions } from './expiration-queue';
import { createExpirationWorker } from './expiration-worker';

/**
 * The Redis side of the service: the queue the listener schedules on and the worker that
 * fires the jobs. Jobs live in Redis, so a job scheduled by one process fires in the next.
 */
export class ExpirationJobs {
  readonly queue: Queue<ExpirationJobData>;
  private worker?: Worker<ExpirationJobData>;

  constructor(
    readonly redis: RedisConnections,
    private readonly logger: Logger,
    /** BullMQ's key prefix; tests give each test its own. */
    private readonly prefix?: string,
  ) {
    this.queue = new Queue<ExpirationJobData>(EXPIRATION_QUEUE, {
      connection: redis.queue,
      prefix,
      defaultJobOptions: expirationJobOptions,
    });
    this.queue.on('error', logNonOutageErrors(logger, 'expiration queue'));
  }

  async startWorker(bus: EventBus, logger = this.logger): Promise<Worker<ExpirationJobData>> {
    this.worker = createExpirationWorker({ connection: this.redis.worker, prefix: this.prefix }, bus, logger);
    await this.worker.waitUntilReady();
    return this.worker;
  }

  /**
   * Lets a job being published finish; jobs not yet due stay in Redis. While Redis is away
   * a graceful close would wait for it forever (BullMQ's blocking read), and a finished job
   * could not be recorded anyway: then the worker is closed at once, and a job it held is
   * taken up again as stalled by the next process.
   */
  async close(): Promise<void> {
    await this.worker?.close(!this.redis.isReady());
    await this.queue.close();
    await this.redis.close();
  }
}
