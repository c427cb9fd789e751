/**
 * A failure of a dependency, not of the request or the event: the database, Redis, the
 * event bus or Stripe is down, slow or restarting. Retrying later can succeed, so HTTP
 * answers 503 with Retry-After and listeners back off and retry without counting the
 * attempt against the event (an outage never dead-letters a good event).
 */
export class TransientError extends Error {
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'TransientError';
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

const TRANSIENT_NAMES = new Set([
  // mongodb driver
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoPoolClearedError',
  'MongoWaitQueueTimeoutError',
  'MongoExpiredSessionError',
  // ioredis / BullMQ
  'MaxRetriesPerRequestError',
  // stripe-node
  'StripeConnectionError',
  'StripeAPIError',
  'StripeRateLimitError',
  // our own
  'TransientError',
]);

const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTCONN']);

/** True when `err` (or its cause) says a dependency is unavailable rather than the input is bad. */
export function isTransientError(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 4) return false;
  const e = err as { name?: unknown; type?: unknown; code?: unknown; message?: unknown; cause?: unknown; errorLabels?: unknown };
  if (typeof e.name === 'string' && TRANSIENT_NAMES.has(e.name)) return true;
  // stripe-node's errors are named "Error"; their class is in `type`.
  if (typeof e.type === 'string' && TRANSIENT_NAMES.has(e.type)) return true;
  if (typeof e.code === 'string' && TRANSIENT_CODES.has(e.code)) return true;
  if (Array.isArray(e.errorLabels) && e.errorLabels.includes('RetryableWriteError')) return true;
  if (typeof e.message === 'string') {
    // mongoose, while disconnected: "Operation `orders.findOne()` buffering timed out after 10000ms"
    if (/buffering timed out|Connection is closed|connection .* closed|Client must be connected/i.test(e.message)) return true;
  }
  return isTransientError(e.cause, depth + 1);
}
