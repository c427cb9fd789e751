import type { JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';

export const EXPIRATION_QUEUE = 'order-expiration';
export const EXPIRE_ORDER_JOB = 'expire-order';

export interface ExpirationJobData {
  orderId: string;
  /** The request that created the order, carried into expiration:complete for tracing. */
  requestId?: string;
}

/** Where the queue lives: one connection, and a key prefix that tests make unique. */
export interface QueueLocation {
  connection: Redis;
  prefix?: string;
}

export const expirationJobOptions: JobsOptions = {
  // A failed job is a failed publish (the bus is away). ~34 min of retries (1 s, 2 s, ...
  // 17 min) rides out a bus restart; after that the failure is logged and the job kept.
  attempts: 12,
  backoff: { type: 'exponential', delay: 1_000 },
  // A finished job is kept so that a late duplicate order:created finds its id and
  // schedules nothing; bounded so Redis does not grow with every order ever made.
  removeOnComplete: { age: 24 * 3600, count: 50_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
};

/**
 * The job id is derived from the order id alone, so a redelivered or re-published
 * order:created finds the job already there and schedules nothing. BullMQ refuses custom
 * ids that look like integers or contain ':', which the event schema allows: the prefix and
 * the encoding keep every order id acceptable and distinct.
 */
export const expirationJobId = (orderId: string) => `order-${encodeURIComponent(orderId)}`;
