import Stripe from 'stripe';
import { BadRequestError, PaymentRequiredError } from '@ticketing/common';

/**
 * The one Stripe call the service makes. The app takes this instead of the whole SDK, so
 * tests can stub the boundary (stripe-mock never declines a card).
 */
export interface StripeClient {
  charges: {
    create(params: Stripe.ChargeCreateParams, options?: Stripe.RequestOptions): Promise<{ id: string }>;
  };
}

/** The official SDK, pointed at `apiBase` (a stripe-mock) when given. */
export function createStripeClient(secretKey: string, apiBase?: string): Stripe {
  const base = apiBase ? new URL(apiBase) : undefined;
  const protocol = base?.protocol === 'http:' ? 'http' : 'https';
  return new Stripe(secretKey, {
    // Retries are safe: every charge carries the order id as its idempotency key, and the
    // SDK also retries Stripe's 409 for a concurrent request with the same key.
    maxNetworkRetries: 2,
    timeout: 20_000,
    telemetry: false,
    ...(base && {
      host: base.hostname,
      port: base.port ? Number(base.port) : protocol === 'http' ? 80 : 443,
      protocol,
    }),
  });
}

/**
 * What the client did wrong, as a 4xx; undefined for Stripe's own or our failures, which
 * stay unexpected (500, logged with Stripe's request id by the error handler).
 */
export function clientErrorOf(err: unknown): BadRequestError | PaymentRequiredError | undefined {
  if (err instanceof Stripe.errors.StripeCardError) return new PaymentRequiredError(err.message);
  // The order id is the idempotency key, so after a decline the same order can only be
  // retried with the same card for as long as Stripe keeps the key (24 hours).
  if (err instanceof Stripe.errors.StripeIdempotencyError) {
    return new BadRequestError('A payment for this order was already attempted with another card', 'token');
  }
  if (err instanceof Stripe.errors.StripeInvalidRequestError) {
    // An unknown or used token is the client's input (GitTix answered 500 here).
    if (err.param === 'source') return new BadRequestError(err.message, 'token');
    // Tickets may be cheaper than Stripe's minimum charge: no retry can fix that.
    if (err.code === 'amount_too_small') return new BadRequestError(err.message);
  }
  return undefined;
}
