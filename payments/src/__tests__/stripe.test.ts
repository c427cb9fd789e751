import type Stripe from 'stripe';
import { createStripeClient } from '../stripe';

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
