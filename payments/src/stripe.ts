import Stripe from 'stripe';
import { BadRequestError, metrics, PaymentRequiredError, SpanKind, TransientError, withSpan } from '@ticketing/common';

/**
 * The Stripe calls the service makes. The app takes this instead of the whole SDK, so
 * tests can stub the boundary (stripe-mock never declines a card nor times out).
 */
export interface StripeClient {
  charges: {
    create(params: Stripe.ChargeCreateParams, options?: Stripe.RequestOptions): Promise<{ id: string }>;
  };
  refunds: {
    create(params: Stripe.RefundCreateParams, options?: Stripe.RequestOptions): Promise<{ id: string; amount: number }>;
  };
}

/** One try of a Stripe request gives up after this long. */
export const STRIPE_TIMEOUT_MS = 10_000;
/** Network errors, Stripe's 409 (same key in flight) and 5xx are retried this many times. */
export const STRIPE_MAX_RETRIES = 2;
/**
 * The longest one Stripe call may take, enforced around it: 3 tries of 10 s plus the SDK's
 * backoff between them (0.5 s, then at most 1 s) is 31.5 s.
 */
export const STRIPE_CALL_DEADLINE_MS = 32_000;

/** The official SDK, pointed at `apiBase` (a stripe-mock) when given. */
export function createStripeClient(secretKey: string, apiBase?: string): Stripe {
  const base = apiBase ? new URL(apiBase) : undefined;
  const protocol = base?.protocol === 'http:' ? 'http' : 'https';
  return new Stripe(secretKey, {
    // Retries are safe: every request carries an idempotency key with the exact same
    // parameters, so Stripe answers a retry with the first result.
    maxNetworkRetries: STRIPE_MAX_RETRIES,
    timeout: STRIPE_TIMEOUT_MS,
    telemetry: false,
    ...(base && {
      host: base.hostname,
      port: base.port ? Number(base.port) : protocol === 'http' ? 80 : 443,
      protocol,
    }),
  });
}

/**
 * `call` within `deadlineMs`, so a payment's hold (payment:started's holdUntil) always
 * outlasts the request. A late answer is dropped: the payment stays pending and a replay
 * with the same idempotency key gets that very answer from Stripe.
 */
export async function withDeadline<T>(call: () => Promise<T>, deadlineMs = STRIPE_CALL_DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TransientError(`Stripe did not answer within ${deadlineMs} ms`)), deadlineMs);
  });
  try {
    return await Promise.race([call(), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One Stripe call, measured (external_call_duration_seconds{system="stripe"}) and traced
 * as a client span of the request or handler that makes it.
 */
export async function stripeCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
  const end = metrics.externalCalls.startTimer({ system: 'stripe', operation });
  try {
    const result = await withSpan(`stripe ${operation}`, call, { kind: SpanKind.CLIENT, attributes: { 'peer.service': 'stripe' } });
    end({ outcome: 'ok' });
    return result;
  } catch (err) {
    end({ outcome: isDefinitiveRefusal(err) ? 'refused' : asTransient(err) ? 'unavailable' : 'error' });
    throw err;
  }
}

/**
 * The charge definitively did not happen: Stripe refused it (a card error, or a request
 * it rejects whatever the moment: token, amount). Stripe keeps that answer for the
 * idempotency key, so a new attempt needs a new key.
 */
export function isDefinitiveRefusal(err: unknown): err is Stripe.errors.StripeCardError | Stripe.errors.StripeInvalidRequestError {
  return err instanceof Stripe.errors.StripeCardError || err instanceof Stripe.errors.StripeInvalidRequestError;
}

/**
 * Stripe could not be reached or could not answer (network, timeout, 5xx, 409 for a
 * request with the same key still running, rate limit): the outcome is unknown and a
 * replay later settles it. As a TransientError, so common answers 503 + Retry-After.
 * (The SDK's errors have `name` "Error"; their class is in `type`.)
 */
export function asTransient(err: unknown): TransientError | undefined {
  if (err instanceof TransientError) return err;
  if (
    err instanceof Stripe.errors.StripeConnectionError ||
    err instanceof Stripe.errors.StripeAPIError ||
    err instanceof Stripe.errors.StripeRateLimitError
  ) {
    return new TransientError(`Stripe unavailable: ${err.message}`, err);
  }
  return undefined;
}

/** Stripe answered that a request with this key and other parameters exists, or is running. */
export const isIdempotencyConflict = (err: unknown) => err instanceof Stripe.errors.StripeIdempotencyError;

/** What the buyer is told about a refusal: 402 for the card, 400 for everything else. */
export function refusalError(err: Stripe.errors.StripeCardError | Stripe.errors.StripeInvalidRequestError) {
  if (err instanceof Stripe.errors.StripeCardError) return new PaymentRequiredError(err.message);
  // An unknown or used token is the client's input (GitTix answered 500 here).
  if (err.param === 'source') return new BadRequestError(err.message, 'token');
  // The amount (below Stripe's minimum, above its maximum) or anything else Stripe refuses
  // for this request: no retry can fix it, so it is a 400, never a 500.
  return new BadRequestError(err.message);
}
