import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Stripe from 'stripe';
import { StripeProxy } from '../stripe-proxy';
import { eventually } from '../api';

// The counting proxy against a real stripe-mock (tools/bin), through the official SDK as
// payments uses it.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { startProcess, freePort, tcpOpen } = require('../../../scripts/stack/processes');

let mock: { stop(): Promise<unknown> };
let proxy: StripeProxy;
let stripe: Stripe;

beforeAll(async () => {
  const port: number = await freePort();
  const https: number = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-proxy-'));
  mock = startProcess({
    name: 'stripe-mock',
    cmd: path.resolve(__dirname, '../../../tools/bin/stripe-mock'),
    args: ['-http-port', String(port), '-https-port', String(https)],
    logFile: path.join(dir, 'stripe-mock.log'),
  });
  await eventually('stripe-mock listening', async () => ((await tcpOpen(port)) ? true : undefined), 30_000);
  proxy = new StripeProxy();
  await proxy.listen(port);
  stripe = new Stripe('sk_test_proxy', { host: '127.0.0.1', port: proxy.port, protocol: 'http', maxNetworkRetries: 0, telemetry: false });
}, 60_000);

afterAll(async () => {
  await proxy?.close();
  await mock?.stop();
});

const charge = (key: string, amount = 1234, source = 'tok_visa') =>
  stripe.charges.create({ amount, currency: 'usd', source, metadata: { orderId: `order-${key}` } }, { idempotencyKey: key });

it('when a charge is repeated with the same key and parameters, then Stripe answers the first charge and counts one', async () => {
  const first = await charge('k-same');
  const again = await charge('k-same');
  expect(again.id).toBe(first.id);
  expect(proxy.charges.filter((c) => c.idempotencyKey === 'k-same')).toEqual([
    expect.objectContaining({ id: first.id, amount: 1234, orderId: 'order-k-same' }),
  ]);
  expect(proxy.requests.filter((r) => r.idempotencyKey === 'k-same').map((r) => r.replayed ?? false)).toEqual([false, true]);
});

it('when a key is reused with other parameters, then it is refused as real Stripe does and nothing is charged', async () => {
  await charge('k-other');
  const err = await charge('k-other', 1234, 'tok_mastercard').catch((e) => e);
  expect(err).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
  expect(proxy.charges.filter((c) => c.idempotencyKey === 'k-other')).toHaveLength(1);
});

it('when answers are held, then the charge exists at Stripe before its answer arrives, and a second request with the key gets 409', async () => {
  proxy.holdResponses();
  const pending = charge('k-held');
  await proxy.waitForHeld(1, 5_000);
  expect(proxy.charges.filter((c) => c.idempotencyKey === 'k-held')).toHaveLength(1);
  const concurrent = await charge('k-held').catch((e) => e);
  expect(concurrent).toMatchObject({ statusCode: 409 });
  proxy.release();
  const answered = await pending;
  expect(answered.id).toBe(proxy.charges.find((c) => c.idempotencyKey === 'k-held')!.id);
});

it('when requests are held, then nothing reaches Stripe until released', async () => {
  proxy.holdRequests();
  const pending = charge('k-slow', 500);
  await proxy.waitForHeld(1, 5_000);
  expect(proxy.charges.filter((c) => c.idempotencyKey === 'k-slow')).toHaveLength(0);
  proxy.release();
  await pending;
  expect(proxy.charges.filter((c) => c.idempotencyKey === 'k-slow')).toHaveLength(1);
});

it('when a charge is refunded, then the net counts it, a charge can be found by its order id, and a repeated refund key is one refund', async () => {
  const c = await charge('k-refund', 2500);
  const r1 = await stripe.refunds.create({ charge: c.id }, { idempotencyKey: `refund:${c.id}` });
  const r2 = await stripe.refunds.create({ charge: c.id }, { idempotencyKey: `refund:${c.id}` });
  expect(r2.id).toBe(r1.id);
  expect(proxy.refunds.filter((r) => r.charge === c.id)).toEqual([expect.objectContaining({ amount: 2500 })]);
  expect(proxy.net(new Set(['order-k-refund']))).toEqual({ charged: 2500, refunded: 2500, chargeCount: 1, refundCount: 1 });
  const found = await stripe.charges.search({ query: "metadata['orderId']:'order-k-refund'" });
  expect(found.data.map((x) => x.id)).toEqual([c.id]);
  expect((await stripe.charges.retrieve(c.id)).amount).toBe(2500);
});
