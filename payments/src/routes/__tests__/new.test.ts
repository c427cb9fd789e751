import Stripe from 'stripe';
import { OrderStatus, PaymentCreatedEvent, Subjects } from '@ticketing/common';
import { flushOutbox, newId, signinCookie } from '@ticketing/common/testing';
import { Payment } from '../../models/payment';
import { cardDeclined, orderFor, pay, stubStripe, testApp } from '../../test/helpers';

const paymentsOf = (orderId: string) => Payment.find({ orderId }).lean();
const sentEvents = async () => (await flushOutbox([Payment])).events<PaymentCreatedEvent>(Subjects.PaymentCreated);

async function expectNothingStored(orderId: string) {
  expect(await paymentsOf(orderId)).toEqual([]);
  expect(await sentEvents()).toEqual([]);
}

describe('paying against the real stripe-mock', () => {
  it('when the owner pays a created order, then it answers 201 with the payment id, stores the charge in cents and publishes payment:created', async () => {
    const { app, lines } = testApp();
    const { order, cookie } = await orderFor({ price: 20.1 });

    const res = await pay(app, cookie, { token: 'tok_visa', orderId: order.id }).expect(201);

    expect(Object.keys(res.body)).toEqual(['id']);
    const [payment, ...others] = await paymentsOf(order.id);
    expect(others).toEqual([]);
    expect(String(payment._id)).toBe(res.body.id);
    expect(payment.stripeId).toMatch(/^ch_/);
    expect(payment.amount).toBe(2010);
    expect(payment.createdAt).toBeInstanceOf(Date);

    const bus = await flushOutbox([Payment]);
    expect(bus.events<PaymentCreatedEvent>(Subjects.PaymentCreated)).toEqual([
      { id: res.body.id, orderId: order.id, stripeId: payment.stripeId },
    ]);
    const [envelope] = bus.envelopes<PaymentCreatedEvent>(Subjects.PaymentCreated);
    expect(envelope.meta).toMatchObject({ requestId: res.headers['x-request-id'], source: 'payments' });
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'payment created', orderId: order.id, paymentId: res.body.id, amount: 2010 }),
    );
  });
});

describe('the call out to Stripe', () => {
  it('when an order costs 20.1, then Stripe is asked for 2010 cents in usd with the token as source and the order id as idempotency key', async () => {
    const stripe = stubStripe();
    const { app } = testApp(stripe);
    const { order, cookie } = await orderFor({ price: 20.1 });

    await pay(app, cookie, { token: 'tok_mastercard', orderId: order.id }).expect(201);

    expect(stripe.charges.create).toHaveBeenCalledTimes(1);
    expect(stripe.charges.create).toHaveBeenCalledWith(
      { amount: 2010, currency: 'usd', source: 'tok_mastercard', metadata: { orderId: order.id } },
      { idempotencyKey: order.id },
    );
    const [payment] = await paymentsOf(order.id);
    expect(payment).toMatchObject({ stripeId: 'ch_stub', amount: 2010 });
  });

  it('when a price has a fraction of a cent, then the amount is rounded to the nearest whole cent', async () => {
    const stripe = stubStripe();
    const { app } = testApp(stripe);
    const { order, cookie } = await orderFor({ price: 19.999 });

    await pay(app, cookie, { token: 'tok_visa', orderId: order.id }).expect(201);

    const [[params]] = stripe.charges.create.mock.calls;
    expect(params.amount).toBe(2000);
  });
});

describe('when Stripe refuses', () => {
  const invalidRequest = (code: string, param: string, message: string) =>
    new Stripe.errors.StripeInvalidRequestError({ type: 'invalid_request_error', code, param, message });

  it.each([
    { refusal: 'the card is declined', error: cardDeclined(), status: 402, reason: { message: 'Your card was declined.' } },
    {
      refusal: 'Stripe does not know the token',
      error: invalidRequest('resource_missing', 'source', "No such token: 'tok_nope'"),
      status: 400,
      reason: { message: "No such token: 'tok_nope'", field: 'token' },
    },
    {
      // Stripe's own text names the idempotency key, which means nothing to the buyer.
      refusal: 'the order was already tried with another card',
      error: new Stripe.errors.StripeIdempotencyError({
        type: 'idempotency_error',
        message: 'Keys for idempotent requests can only be used with the same parameters they were first used with.',
      }),
      status: 400,
      reason: { message: 'A payment for this order was already attempted with another card', field: 'token' },
    },
    {
      refusal: 'the price is below the minimum charge',
      error: invalidRequest('amount_too_small', 'amount', 'Amount must be at least $0.50 usd'),
      status: 400,
      reason: { message: 'Amount must be at least $0.50 usd' },
    },
  ])('when $refusal, then it answers $status with the reason, logs it, stores nothing and publishes nothing', async ({ error, status, reason }) => {
    const { app, lines } = testApp(stubStripe(error));
    const { order, cookie } = await orderFor();

    const res = await pay(app, cookie, { token: 'tok_visa', orderId: order.id }).expect(status);

    expect(res.body).toEqual({ errors: [reason] });
    await expectNothingStored(order.id);
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'charge refused', orderId: order.id, status, reason: reason.message }),
    );
  });

  it('when Stripe itself fails, then it answers a bare 500, logs the error with the request id and stores nothing', async () => {
    const outage = new Stripe.errors.StripeAPIError({ type: 'api_error', message: 'Stripe is having a bad day' });
    const { app, lines } = testApp(stubStripe(outage));
    const { order, cookie } = await orderFor();

    const res = await pay(app, cookie, { token: 'tok_visa', orderId: order.id }).expect(500);

    expect(res.body).toEqual({ errors: [{ message: 'Something went wrong' }] });
    expect(JSON.stringify(res.body)).not.toContain('bad day');
    const logged = lines.find((l) => l.msg === 'unhandled error');
    expect(logged).toMatchObject({ reqId: res.headers['x-request-id'], err: expect.objectContaining({ message: 'Stripe is having a bad day' }) });
    await expectNothingStored(order.id);
  });
});

describe('refusals before any charge', () => {
  it('when nobody is signed in, then it answers 401 before looking at the body, and charges nothing', async () => {
    const stripe = stubStripe();
    const { app } = testApp(stripe);

    const res = await pay(app, undefined, {}).expect(401);

    expect(res.body).toEqual({ errors: [{ message: 'Not authorized' }] });
    expect(stripe.charges.create).not.toHaveBeenCalled();
  });

  it.each([
    ['both missing', {}],
    ['both empty', { token: '  ', orderId: '' }],
    ['not strings', { token: 42, orderId: ['x'] }],
  ])('when token and orderId are %s, then it answers 400 naming each field', async (_case, body) => {
    const stripe = stubStripe();
    const { app } = testApp(stripe);

    const res = await pay(app, signinCookie(), body).expect(400);

    expect(res.body).toEqual({
      errors: [
        { message: 'Token must be provided', field: 'token' },
        { message: 'OrderId must be provided', field: 'orderId' },
      ],
    });
    expect(stripe.charges.create).not.toHaveBeenCalled();
  });

  it('when orderId is a query operator, then it answers 400 and finds no order with it', async () => {
    const stripe = stubStripe();
    const { app } = testApp(stripe);
    const { cookie } = await orderFor();

    const res = await pay(app, cookie, { token: 'tok_visa', orderId: { $ne: '' } }).expect(400);

    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'orderId' })]);
    expect(stripe.charges.create).not.toHaveBeenCalled();
  });

  it.each([
    ['unknown', () => newId()],
    ['malformed', () => 'not-an-order-id'],
  ])('when the order id is %s, then it answers 404 and charges nothing', async (_case, orderId) => {
    const stripe = stubStripe();
    const { app } = testApp(stripe);

    const res = await pay(app, signinCookie(), { token: 'tok_visa', orderId: orderId() }).expect(404);

    expect(res.body).toEqual({ errors: [{ message: 'Not Found' }] });
    expect(stripe.charges.create).not.toHaveBeenCalled();
  });

  it('when the order belongs to another user, then it answers 401 and charges nothing', async () => {
    const stripe = stubStripe();
    const { app } = testApp(stripe);
    // Cancelled too: the owner check comes first, so a stranger learns nothing about its state.
    const { order } = await orderFor({ status: OrderStatus.Cancelled });

    const res = await pay(app, signinCookie(), { token: 'tok_visa', orderId: order.id }).expect(401);

    expect(res.body).toEqual({ errors: [{ message: 'Not authorized' }] });
    expect(stripe.charges.create).not.toHaveBeenCalled();
    await expectNothingStored(order.id);
  });

  it('when the order is cancelled, then it answers 400 and charges nothing', async () => {
    const stripe = stubStripe();
    const { app } = testApp(stripe);
    const { order, cookie } = await orderFor({ status: OrderStatus.Cancelled, version: 1 });

    const res = await pay(app, cookie, { token: 'tok_visa', orderId: order.id }).expect(400);

    expect(res.body).toEqual({ errors: [{ message: 'Cannot pay for a cancelled order' }] });
    expect(stripe.charges.create).not.toHaveBeenCalled();
    await expectNothingStored(order.id);
  });
});

describe('an expired hold', () => {
  it('when the hold has run out but order:cancelled has not arrived yet, then it answers 400 and charges nothing', async () => {
    const stripe = stubStripe();
    const { app } = testApp(stripe);
    const { order, cookie } = await orderFor({ expiresAt: new Date(Date.now() - 1_000) });

    const res = await pay(app, cookie, { token: 'tok_visa', orderId: order.id }).expect(400);

    expect(res.body).toEqual({ errors: [{ message: 'Cannot pay for a cancelled order' }] });
    expect(stripe.charges.create).not.toHaveBeenCalled();
    await expectNothingStored(order.id);
  });

  it('when the hold is still running, then the order is charged', async () => {
    const stripe = stubStripe();
    const { app } = testApp(stripe);
    const { order, cookie } = await orderFor({ expiresAt: new Date(Date.now() + 60_000) });

    await pay(app, cookie, { token: 'tok_visa', orderId: order.id }).expect(201);
    expect(stripe.charges.create).toHaveBeenCalledTimes(1);
  });
});

describe('paying twice', () => {
  it('when the order is paid again later, then it answers 400 without a second charge, payment or event', async () => {
    const stripe = stubStripe();
    const { app } = testApp(stripe);
    const { order, cookie } = await orderFor();
    await pay(app, cookie, { token: 'tok_visa', orderId: order.id }).expect(201);
    await flushOutbox([Payment]);

    const res = await pay(app, cookie, { token: 'tok_visa', orderId: order.id }).expect(400);

    expect(res.body).toEqual({ errors: [{ message: 'Order has already been paid' }] });
    expect(stripe.charges.create).toHaveBeenCalledTimes(1);
    expect(await paymentsOf(order.id)).toHaveLength(1);
    expect(await sentEvents()).toEqual([]);
  });

  /** A Stripe stub that answers only once `n` charges are in flight, forcing the race. */
  function stripeHoldingCharges(n: number, chargeIds: string[]) {
    const stripe = stubStripe();
    const release: (() => void)[] = [];
    stripe.charges.create.mockImplementation(
      () =>
        new Promise((resolve) => {
          const i = release.length;
          release.push(() => resolve({ id: chargeIds[i] ?? chargeIds[0] }));
          if (release.length === n) release.forEach((r) => r());
        }),
    );
    return stripe;
  }

  it('when the owner submits twice at once, then one request gets 201 and the other 400, with one payment and one event', async () => {
    // Stripe's idempotency key gives both requests the same charge.
    const stripe = stripeHoldingCharges(2, ['ch_same']);
    const { app, lines } = testApp(stripe);
    const { order, cookie } = await orderFor();

    const results = await Promise.all([
      pay(app, cookie, { token: 'tok_visa', orderId: order.id }),
      pay(app, cookie, { token: 'tok_visa', orderId: order.id }),
    ]);

    expect(results.map((r) => r.status).sort()).toEqual([201, 400]);
    expect(results.find((r) => r.status === 400)!.body).toEqual({ errors: [{ message: 'Order has already been paid' }] });
    expect(stripe.charges.create.mock.calls.map(([, options]) => options)).toEqual([
      { idempotencyKey: order.id },
      { idempotencyKey: order.id },
    ]);
    const payments = await paymentsOf(order.id);
    expect(payments).toHaveLength(1);
    expect(String(payments[0]._id)).toBe(results.find((r) => r.status === 201)!.body.id);
    expect(await sentEvents()).toHaveLength(1);
    expect(lines.filter((l) => l.msg === 'order charged twice, refund needed')).toEqual([]);
  });

  it('when two simultaneous submits got different charges, then the second is refused and the double charge is logged as an error', async () => {
    const stripe = stripeHoldingCharges(2, ['ch_first', 'ch_second']);
    const { app, lines } = testApp(stripe);
    const { order, cookie } = await orderFor();

    await Promise.all([
      pay(app, cookie, { token: 'tok_visa', orderId: order.id }),
      pay(app, cookie, { token: 'tok_visa', orderId: order.id }),
    ]);

    const [kept] = await paymentsOf(order.id);
    const logged = lines.find((l) => l.msg === 'order charged twice, refund needed');
    expect(logged).toMatchObject({ level: 50, orderId: order.id, keptStripeId: kept.stripeId });
    expect([kept.stripeId, logged!.stripeId].sort()).toEqual(['ch_first', 'ch_second']);
  });
});
