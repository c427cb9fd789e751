import type Stripe from 'stripe';
import { isTransientError, TransientError } from '@ticketing/common';
import { createStripeClient, STRIPE_CALL_DEADLINE_MS, withDeadline } from '../stripe';
import { HOLD_MS } from '../payment-processor';

// The route test on stripe-mock covers a real call; these check the other bases without a server.
const target = (client: Stripe) => ({
  host: client.getApiField('host'),
  port: client.getApiField('port'),
  protocol: client.getApiField('protocol'),
});

it('when an http API base is given, then the SDK sends its requests there', () => {
  expect(target(createStripeClient('sk_test_1', 'http://127.0.0.1:12111'))).toEqual({
    host: '127.0.0.1',
    port: 12111,
    protocol: 'http',
  });
});

it('when an https base has no port, then the SDK uses 443', () => {
  expect(target(createStripeClient('sk_test_1', 'https://stripe.internal'))).toEqual({
    host: 'stripe.internal',
    port: 443,
    protocol: 'https',
  });
});

it('when no API base is given, then the SDK talks to Stripe itself', () => {
  expect(target(createStripeClient('sk_test_1'))).toMatchObject({ host: 'api.stripe.com', protocol: 'https' });
});

it('when the client is built, then one try times out after 10 s with at most 2 retries, so a call ends within the 32 s deadline the hold covers', () => {
  const client = createStripeClient('sk_test_1');
  expect(client.getApiField('timeout')).toBe(10_000);
  expect(client.getMaxNetworkRetries()).toBe(2);
  // 3 tries of 10 s + the SDK's backoff (0.5 s, then at most 1 s).
  expect(3 * 10_000 + 500 + 1_000).toBeLessThanOrEqual(STRIPE_CALL_DEADLINE_MS);
  expect(HOLD_MS).toBeGreaterThan(STRIPE_CALL_DEADLINE_MS);
});

it('when a Stripe call outlives its deadline, then it fails as a transient error (503, payment left pending)', async () => {
  const never = new Promise<never>(() => {});

  const failure = await withDeadline(() => never, 20).catch((err: unknown) => err);

  expect(failure).toBeInstanceOf(TransientError);
  expect(isTransientError(failure)).toBe(true);
  expect((failure as Error).message).toBe('Stripe did not answer within 20 ms');
});
