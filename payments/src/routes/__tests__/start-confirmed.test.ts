import { OutboxRelay, PaymentStartedEvent, Subjects } from '@ticketing/common';
import { captureLogger, InMemoryBus } from '@ticketing/common/testing';
import { buildApp } from '../../app';
import { Payment, PaymentStatus } from '../../models/payment';
import { PaymentProcessor, START_UNCONFIRMED } from '../../payment-processor';
import { orderFor, pay, paymentOf, stubStripe } from '../../test/helpers';

// A card is charged only once payment:started — which makes orders keep the buyer's hold
// while the charge is in flight — is on the bus. With the bus away, the hold could run
// out under the charge: then nothing is charged and the buyer is told to try again.
function appWithRelay(bus: InMemoryBus) {
  const { logger, lines } = captureLogger();
  const stripe = stubStripe();
  const processor = new PaymentProcessor(stripe, logger, undefined, 300);
  const app = buildApp({ logger, jwtKey: process.env.JWT_KEY!, cookieSecure: false, processor });
  const relay = new OutboxRelay(bus, [Payment], logger, { pollIntervalMs: 600_000, retryDelayMs: 50 }).start();
  return { app, stripe, relay, lines };
}

it('when payment:started reaches the bus, then the card is charged after it and the payment succeeds', async () => {
  const bus = new InMemoryBus();
  const { app, stripe, relay } = appWithRelay(bus);
  const published: string[] = [];
  const publishRaw = bus.publishRaw.bind(bus);
  bus.publishRaw = async (subject, payload) => {
    published.push(subject);
    return publishRaw(subject, payload);
  };
  stripe.charges.create.mockImplementation(async () => {
    published.push('stripe charge');
    return { id: 'ch_stub' };
  });
  const { order, cookie } = await orderFor();

  const res = await pay(app, cookie, { token: 'tok_visa', orderId: order._id });
  await relay.stop();

  expect(res.status).toBe(201);
  expect(published.slice(0, 2)).toEqual([Subjects.PaymentStarted, 'stripe charge']);
  expect(bus.events<PaymentStartedEvent>(Subjects.PaymentStarted)[0]).toMatchObject({ orderId: order._id });
  expect((await paymentOf(order._id))!.status).toBe(PaymentStatus.Succeeded);
});

it('when the bus is down, then nothing is charged, the attempt fails, and the buyer gets 503 with Retry-After and a new attempt later works', async () => {
  const bus = new InMemoryBus();
  bus.failPublishes = true;
  const { app, stripe, relay, lines } = appWithRelay(bus);
  const { order, cookie } = await orderFor();

  const res = await pay(app, cookie, { token: 'tok_visa', orderId: order._id });

  expect(res.status).toBe(503);
  expect(res.headers['retry-after']).toBe('5');
  expect(res.body).toEqual({ errors: [{ message: START_UNCONFIRMED }] });
  expect(stripe.charges.create).not.toHaveBeenCalled();
  expect(await paymentOf(order._id)).toMatchObject({ status: PaymentStatus.Failed, failureReason: START_UNCONFIRMED });
  expect(lines.some((l) => l.msg === 'payment:started not on the bus in time, not charging')).toBe(true);

  bus.failPublishes = false; // the bus is back: the stored events go out, a retry charges
  const again = await pay(app, cookie, { token: 'tok_visa', orderId: order._id });
  await relay.stop();
  expect(again.status).toBe(201);
  expect(stripe.charges.create).toHaveBeenCalledTimes(1);
  expect(stripe.charges.create.mock.calls[0][1]).toEqual({ idempotencyKey: `${order._id}:2` });
  expect(bus.allEnvelopes().map((e) => e.subject)).toEqual(
    expect.arrayContaining([Subjects.PaymentStarted, Subjects.PaymentFailed, Subjects.PaymentCreated]),
  );
});
