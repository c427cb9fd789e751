import { isNotConnectionError } from 'bullmq';
import { Redis, RedisOptions } from 'ioredis';
import type { Logger } from '@ticketing/common';

/** The service's two Redis connections; their state is part of /readyz. */
export interface RedisConnections {
  /**
   * Scheduling: commands fail at once while Redis is away (no offline queue, one retry), so
   * an order:created is left unacked and comes back instead of hanging the listener.
   */
  queue: Redis;
  /** The worker's: BullMQ requires commands to wait for a reconnect instead of failing. */
  worker: Redis;
  isReady(): boolean;
  close(): Promise<void>;
}

/** Where we connect, without the password a URL may carry. */
const redisHost = (url: string) => new URL(url).host;

function open(url: string, role: string, options: RedisOptions, logger: Logger): Redis {
  const client = new Redis(url, { connectionName: `expiration-${role}`, ...options });
  const log = logger.child({ redis: role, host: redisHost(url) });
  let connectedBefore = false;
  let downReported = false;
  client.on('ready', () => {
    log.info(connectedBefore ? 'reconnected to Redis' : 'connected to Redis');
    connectedBefore = true;
    downReported = false;
  });
  // ioredis reports every failed reconnect attempt; one line per outage is enough.
  client.on('error', (err: Error) => {
    if (downReported) return;
    downReported = true;
    if (connectedBefore) log.error({ err: err.message }, 'lost Redis, reconnecting: no expiration fires meanwhile');
    else log.warn({ err: err.message }, 'Redis not reachable, retrying');
  });
  return client;
}

const outageCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * An error handler for BullMQ's queue and worker. They re-emit every failed reconnect of
 * every connection they hold; the outage itself is already logged once per connection
 * (see `open`), so only the other errors are worth a line.
 */
export const logNonOutageErrors = (logger: Logger, what: string) => (err: Error) => {
  const code = (err as NodeJS.ErrnoException).code;
  if (!isNotConnectionError(err) || (code && outageCodes.has(code))) return;
  logger.error({ err }, `${what} error`);
};

function whenReady(client: Redis, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    let lastError = 'no answer';
    const onError = (err: Error) => {
      lastError = err.message;
    };
    const onReady = () => {
      clearTimeout(timer);
      client.off('error', onError);
      resolve();
    };
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      client.off('error', onError);
      reject(new Error(`could not connect to Redis at ${client.options.host}:${client.options.port}: ${lastError}`));
    }, timeoutMs);
    client.on('error', onError);
    client.once('ready', onReady);
  });
}

/**
 * Opens both connections and waits until Redis answers (in a cluster it may start after
 * us); gives up after `timeoutMs`, so a wrong REDIS_URL ends the start with a clear error.
 */
export async function connectRedis(url: string, logger: Logger, timeoutMs = 60_000): Promise<RedisConnections> {
  const queue = open(url, 'queue', { enableOfflineQueue: false, maxRetriesPerRequest: 1 }, logger);
  const worker = open(url, 'worker', { maxRetriesPerRequest: null }, logger);
  // quit() lets pending replies arrive; it fails on a connection that is down, which is
  // then dropped. One that already ended is left alone (ioredis would arm a 2 s timer).
  const close = async () => {
    const live = [queue, worker].filter((c) => c.status !== 'end');
    await Promise.all(live.map((c) => c.quit().catch(() => c.disconnect())));
  };
  try {
    await Promise.all([whenReady(queue, timeoutMs), whenReady(worker, timeoutMs)]);
  } catch (err) {
    queue.disconnect();
    worker.disconnect();
    throw err;
  }
  return { queue, worker, isReady: () => queue.status === 'ready' && worker.status === 'ready', close };
}
