import Stripe from 'stripe';
import { registry } from '@ticketing/common';
import { createStripeClient, stripeCall } from '../stripe';

// Stripe call latency and outcomes are exported for the dashboard's "Stripe errors" panel.
async function count(operation: string, outcome: string): Promise<number> {
  const m = (await registry.getSingleMetric('external_call_duration_seconds')!.get()) as {
    values: { labels: Record<string, string>; value: number; metricName?: string }[];
  };
  return (
    m.values.find(
      (v) => v.metricName === 'external_call_duration_seconds_count' && v.labels.system === 'stripe' && v.labels.operation === operation && v.labels.outcome === outcome,
    )?.value ?? 0
  );
}

it('when a charge goes through stripe-mock, then one ok call of charges.create is counted', async () => {
  const before = await count('charges.create', 'ok');
  const stripe = createStripeClient('sk_test_metrics', process.env.STRIPE_API_BASE);
  const charge = await stripeCall('charges.create', () => stripe.charges.create({ amount: 1000, currency: 'usd', source: 'tok_visa' }));
  expect(charge.id).toMatch(/^ch_/);
  expect(await count('charges.create', 'ok')).toBe(before + 1);
});

it('when Stripe refuses a card or cannot be reached, then the outcome says which', async () => {
  const refused = await count('charges.create', 'refused');
  const unavailable = await count('charges.create', 'unavailable');
  const cardError = new Stripe.errors.StripeCardError({ message: 'declined', type: 'card_error' } as never);
  await expect(stripeCall('charges.create', () => Promise.reject(cardError))).rejects.toBe(cardError);
  const down = new Stripe.errors.StripeConnectionError({ message: 'ECONNREFUSED', type: 'api_error' } as never);
  await expect(stripeCall('charges.create', () => Promise.reject(down))).rejects.toBe(down);
  expect(await count('charges.create', 'refused')).toBe(refused + 1);
  expect(await count('charges.create', 'unavailable')).toBe(unavailable + 1);
});
