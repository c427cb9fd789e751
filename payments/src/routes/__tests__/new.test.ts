import Stripe from 'stripe';
import mongoose from 'mongoose';
import {
  OrderCancelledEvent,
  OrderCreatedEvent,
  OrderStatus,
  PaymentCreatedEvent,
  PaymentFailedEvent,
  PaymentRefundedEvent,
  PaymentStartedEvent,
  REPLICA_WAIT,
  Subjects,
} from '@ticketing/common';
import { captureLogger, envelopeOf, InMemoryBus, newId, signinCookie } from '@ticketing/common/testing';
import { Order } from '../../models/order';
import { Payment, PaymentStatus } from '../../models/payment';
import { OpenPayment } from '../../models/open-payment';
import { HOLD_MS } from '../../payment-processor';
import { Reconciler } from '../../reconciler';
import { OrderCancelledListener } from '../../events/listeners/order-cancelled-listener';
import { OrderCreatedListener } from '../../events/listeners/order-created-listener';
import {
  cardDeclined,
  crashedAttempt,
  invalidRequest,
  mockStripe,
  orderFor,
  pay,
  paymentOf,
  sendOutbox,
  sentSubjects,
  stripeDown,
  stripeHoldingCharges,
  stubStripe,
  testApp,
} from '../../test/helpers';

const ALREADY_PAID = { errors: [{ message: 'Order has already been paid' }] };
const IN_PROGRESS = { errors: [{ message: 'Payment already in progress' }] };
const REFUNDED = { errors: [{ message: 'Order was cancelled; the payment has been refunded' }] };
const CANCELLED = { errors: [{ message: 'Cannot pay for a cancelled order' }] };

async function expectNothingStored(orderId: string) {
  expect(await Payment.find({ orderId }).lean()).toEqual([]);
  expect(await sentSubjects()).toEqual([]);
}

/** order:created of a new order (a 60 s hold), handled by this process's listener as the bus delivers it. */
async function orderArrives(orderId: string, userId: string, price: number) {
  const created = envelopeOf<OrderCreatedEvent>(Subjects.OrderCreated, {
    id: orderId,
    version: 0,
    status: OrderStatus.Created,
    userId,
    expiresAt: new Date(Date.now() + 60_000).toISOString(),
    ticket: { id: newId(), price },
  });
  expect(await new OrderCreatedListener(new InMemoryBus(), captureLogger().logger).handle(created)).toBe('acked');
}

const cancelledEvent = (orderId: string, version = 1) =>
  envelopeOf<OrderCancelledEvent>(Subjects.OrderCancelled, { id: orderId, version, ticket: { id: newId() } });

describe('paying against the real stripe-mock', () => {
  it('when the owner pays a created order, then it answers 201 with the payment id, stores the charge in cents and publishes payment:started then payment:created', async () => {
    const { app, lines } = testApp();
    const { order, cookie } = await orderFor({ price: 20.1 });
    const before = Date.now();

    const res = await pay(app, cookie, { token: 'tok_visa', orderId: order.id }).expect(201);

    expect(Object.keys(res.body)).toEqual(['id']);
    const [payment, ...others] = await Payment.find({ orderId: order.id }).lean();
    expect(others).toEqual([]);
    expect(payment).toMatchObject({
      _id: order.id,
      paymentId: res.body.id,
      status: PaymentStatus.Succeeded,
      attempt: 1,
      idempotencyKey: order.id,
      charge: { amount: 2010, currency: 'usd', source: 'tok_visa', metadata: { orderId: order.id } },
      amount: 2010,
      stripeId: expect.stringMatching(/^ch_/),
    });
    expect(payment.createdAt).toBeInstanceOf(Date);

    const bus = await sendOutbox();
    expect(bus.allEnvelopes().map((e) => e.subject)).toEqual([Subjects.PaymentStarted, Subjects.PaymentCreated]);
    const [started] = bus.events<PaymentStartedEvent>(Subjects.PaymentStarted);
    expect(started).toEqual({ id: res.body.id, orderId: order.id, holdUntil: expect.any(String) });
    // The hold covers the longest the request may take (Stripe's hard deadline + writes).
    expect(Date.parse(started.holdUntil)).toBeGreaterThanOrEqual(before + HOLD_MS);
    expect(Date.parse(started.holdUntil)).toBeLessThanOrEqual(Date.now() + HOLD_MS);
    expect(bus.events<PaymentCreatedEvent>(Subjects.PaymentCreated)).toEqual([
      { id: res.body.id, orderId: order.id, stripeId: payment.stripeId },
    ]);
    const [envelope] = bus.envelopes<PaymentCreatedEvent>(Subjects.PaymentCreated);
    expect(envelope.meta).toMatchObject({ requestId: res.headers['x-request-id'], source: 'payments' });
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'payment created', orderId: order.id, paymentId: res.body.id, amount: 2010 }),
    );
    expect(await OpenPayment.findById(order.id)).toBeNull(); // settled: nothing for the reconciler
  });

  it('when order:cancelled is applied while the charge is on its way, then the charge is refunded once on Stripe, payment:refunded goes out and it answers 400', async () => {
    const real = mockStripe();
    let listener!: OrderCancelledListener;
    let orderId = '';
    const stripe = {
      charges: {
        create: jest.fn(async (params: Stripe.ChargeCreateParams, options?: Stripe.RequestOptions) => {
          await listener.handle(cancelledEvent(orderId)); // the cancel lands mid-call
          return real.charges.create(params, options);
        }),
      },
      refunds: { create: jest.fn((p: Stripe.RefundCreateParams, o?: Stripe.RequestOptions) => real.refunds.create(p, o)) },
    };
    const { app, lines, logger, processor } = testApp(stripe);
    listener = new OrderCancelledListener(new InMemoryBus(), logger, processor);
    const { order, cookie } = await orderFor();
    orderId = order.id;

    const res = await pay(app, cookie, { token: 'tok_visa', orderId }).expect(400);

    expect(res.body).toEqual(REFUNDED);
    const payment = await paymentOf(orderId);
    expect(payment).toMatchObject({
      status: PaymentStatus.Refunded,
      orderCancelled: true,
      stripeId: expect.stringMatching(/^ch_/),
      refund: { id: expect.stringMatching(/^re_/), amount: expect.any(Number) },
    });
    expect(stripe.charges.create).toHaveBeenCalledTimes(1);
    expect(stripe.refunds.create).toHaveBeenCalledTimes(1);
    expect(stripe.refunds.create).toHaveBeenCalledWith(
      { charge: payment!.stripeId, amount: 2000, metadata: { orderId, paymentId: payment!.paymentId } },
      { idempotencyKey: `refund:${payment!.paymentId}` },
    );
    const bus = await sendOutbox();
    expect(bus.allEnvelopes().map((e) => e.subject)).toEqual([Subjects.PaymentStarted, Subjects.PaymentRefunded]);
    expect(bus.events<PaymentRefundedEvent>(Subjects.PaymentRefunded)).toEqual([
      {
        id: payment!.paymentId,
        orderId,
        stripeId: payment!.stripeId,
        refundId: payment!.refund!.id,
        amount: payment!.refund!.amount,
      },
    ]);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'charge landed on a cancelled order, refunding', orderId }));
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'payment refunded', orderId }));
    expect(await OpenPayment.findById(orderId)).toBeNull();
  });
});

describe('the call out to Stripe', () => {
  it('when an order costs 20.1, then Stripe is asked for 2010 cents in usd with the token as source and the order id as idempotency key, exactly as stored before the call', async () => {
    const stripe = stubStripe();
    const { app } = testApp(stripe);
    const { order, cookie } = await orderFor({ price: 20.1 });

    await pay(app, cookie, { token: 'tok_mastercard', orderId: order.id }).expect(201);

    expect(stripe.charges.create).toHaveBeenCalledTimes(1);
    expect(stripe.charges.create).toHaveBeenCalledWith(
      { amount: 2010, currency: 'usd', source: 'tok_mastercard', metadata: { orderId: order.id } },
      { idempotencyKey: order.id },
    );
    const payment = await paymentOf(order.id);
    expect(payment).toMatchObject({ stripeId: 'ch_stub', amount: 2010, idempotencyKey: order.id });
    expect(payment!.charge).toEqual(stripe.charges.create.mock.calls[0][0]);
  });

  it('when the charge is on its way, then the pending payment with its request and payment:started are already stored', async () => {
    const { stripe, called, release } = stripeHoldingCharges();
    const { app } = testApp(stripe);
    const { order, cookie } = await orderFor();

    const paying = pay(app, cookie, { token: 'tok_visa', orderId: order.id }).then((r) => r);
    await called;

    expect(await paymentOf(order.id)).toMatchObject({
      status: PaymentStatus.Pending,
      charge: { amount: 2000, source: 'tok_visa' },
      idempotencyKey: order.id,
    });
    expect(await OpenPayment.findById(order.id).lean()).toMatchObject({ paymentId: expect.any(String) });
    expect(await sentSubjects()).toEqual([Subjects.PaymentStarted]);
    release();
    expect((await paying).status).toBe(201);
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
  it.each([
    { refusal: 'the card is declined', error: cardDeclined(), status: 402, reason: { message: 'Your card was declined.' } },
    {
      refusal: 'Stripe does not know the token',
      error: invalidRequest('resource_missing', 'source', "No such token: 'tok_nope'"),
      status: 400,
      reason: { message: "No such token: 'tok_nope'", field: 'token' },
    },
    {
      refusal: 'the price is below the minimum charge',
      error: invalidRequest('amount_too_small', 'amount', 'Amount must be at least $0.50 usd'),
      status: 400,
      reason: { message: 'Amount must be at least $0.50 usd' },
    },
    {
      refusal: 'the price is above the maximum charge',
      error: invalidRequest('amount_too_large', 'amount', 'Amount must be no more than $999,999.99'),
      status: 400,
      reason: { message: 'Amount must be no more than $999,999.99' },
    },
    {
      refusal: 'Stripe refuses the amount otherwise',
      error: invalidRequest('parameter_invalid_integer', 'amount', 'Invalid integer: 1e21'),
      status: 400,
      reason: { message: 'Invalid integer: 1e21' },
    },
  ])('when $refusal, then it answers $status with the reason, the payment is failed, payment:failed goes out and it is logged', async ({ error, status, reason }) => {
    const { app, lines } = testApp(stubStripe(error));
    const { order, cookie } = await orderFor();

    const res = await pay(app, cookie, { token: 'tok_visa', orderId: order.id }).expect(status);

    expect(res.body).toEqual({ errors: [reason] });
    const payment = await paymentOf(order.id);
    expect(payment).toMatchObject({ status: PaymentStatus.Failed, failureReason: reason.message });
    expect(await OpenPayment.findById(order.id)).toBeNull();
    const bus = await sendOutbox();
    expect(bus.allEnvelopes().map((e) => e.subject)).toEqual([Subjects.PaymentStarted, Subjects.PaymentFailed]);
    expect(bus.events<PaymentFailedEvent>(Subjects.PaymentFailed)).toEqual([
      { id: payment!.paymentId, orderId: order.id, reason: reason.message },
    ]);
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'charge refused', orderId: order.id, status, reason: reason.message }),
    );
  });

  it('when the card was declined and the buyer pays again with another card, then a new attempt goes out under the key <orderId>:2 and is accepted', async () => {
    const stripe = stubStripe();
    stripe.charges.create.mockRejectedValueOnce(cardDeclined());
    const { app } = testApp(stripe);
    const { order, cookie } = await orderFor();
    await pay(app, cookie, { token: 'tok_chargeDeclined', orderId: order.id }).expect(402);
    const declined = await paymentOf(order.id);

    const res = await pay(app, cookie, { token: 'tok_mastercard', orderId: order.id }).expect(201);

    expect(stripe.charges.create.mock.calls).toEqual([
      [expect.objectContaining({ source: 'tok_chargeDeclined' }), { idempotencyKey: order.id }],
      [expect.objectContaining({ source: 'tok_mastercard' }), { idempotencyKey: `${order.id}:2` }],
    ]);
    expect(res.body.id).not.toBe(declined!.paymentId);
    expect(await paymentOf(order.id)).toMatchObject({
      paymentId: res.body.id,
      attempt: 2,
      status: PaymentStatus.Succeeded,
      idempotencyKey: `${order.id}:2`,
      failedAttempts: [{ paymentId: declined!.paymentId, idempotencyKey: order.id, reason: 'Your card was declined.' }],
    });
    expect(await sentSubjects()).toEqual([
      Subjects.PaymentStarted,
      Subjects.PaymentFailed,
      Subjects.PaymentStarted,
      Subjects.PaymentCreated,
    ]);
  });
});

describe('when Stripe cannot answer', () => {
  it.each([
    { failure: 'Stripe is unreachable', stripe: () => stubStripe(stripeDown()) },
    {
      failure: 'Stripe answers 5xx',
      stripe: () => stubStripe(new Stripe.errors.StripeAPIError({ type: 'api_error', message: 'Stripe is having a bad day' })),
    },
    {
      failure: 'Stripe does not answer in time',
      stripe: () => {
        const s = stubStripe();
        s.charges.create.mockImplementation(() => new Promise(() => {}));
        return s;
      },
    },
  ])('when $failure, then it answers 503 with Retry-After, the payment stays pending for the reconciler and only payment:started went out', async ({ stripe }) => {
    const { app, lines } = testApp(stripe(), { stripeDeadlineMs: 100 });
    const { order, cookie } = await orderFor();

    const res = await pay(app, cookie, { token: 'tok_visa', orderId: order.id }).expect(503);

    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(JSON.stringify(res.body)).not.toMatch(/bad day|ECONNREFUSED/);
    expect(await paymentOf(order.id)).toMatchObject({ status: PaymentStatus.Pending });
    const payment = await paymentOf(order.id);
    expect(await OpenPayment.findById(order.id).lean()).toMatchObject({ paymentId: payment!.paymentId }); // the reconciler's
    expect(await sentSubjects()).toEqual([Subjects.PaymentStarted]);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'charge outcome unknown, payment left pending', orderId: order.id }));
  });

  it('when Stripe answers an idempotency conflict, then it answers 409, never 400, and the payment stays pending to be settled by a replay', async () => {
    const stripe = stubStripe();
    stripe.charges.create.mockRejectedValueOnce(
      new Stripe.errors.StripeIdempotencyError({
        type: 'idempotency_error',
        message: 'Keys for idempotent requests can only be used with the same parameters they were first used with.',
      }),
    );
    const { app, logger, processor } = testApp(stripe);
    const { order, cookie } = await orderFor();

    const res = await pay(app, cookie, { token: 'tok_visa', orderId: order.id }).expect(409);

    expect(res.body).toEqual(IN_PROGRESS);
    expect(await paymentOf(order.id)).toMatchObject({ status: PaymentStatus.Pending });
    expect(await sentSubjects()).toEqual([Subjects.PaymentStarted]);

    await new Reconciler(processor, logger, { olderThanMs: 0 }).runOnce();
    expect(await paymentOf(order.id)).toMatchObject({ status: PaymentStatus.Succeeded, stripeId: 'ch_stub' });
    expect(stripe.charges.create.mock.calls[1]).toEqual(stripe.charges.create.mock.calls[0]);
  });

  it('when the database fails right after Stripe charged, then it answers 503 and a replay of the stored request settles the charge once', async () => {
    const stripe = stubStripe();
    const { app, logger, processor } = testApp(stripe);
    const { order, cookie } = await orderFor();
    const lost = Object.assign(new Error('connection 3 to 127.0.0.1:27017 closed'), { name: 'MongoNetworkError' });
    const write = jest.spyOn(Payment.collection, 'findOneAndUpdate').mockImplementationOnce(() => {
      throw lost;
    });

    await pay(app, cookie, { token: 'tok_visa', orderId: order.id }).expect(503);
    write.mockRestore();
    expect(await paymentOf(order.id)).toMatchObject({ status: PaymentStatus.Pending });

    const [settled] = await new Reconciler(processor, logger, { olderThanMs: 0 }).runOnce();

    expect(settled).toMatchObject({ outcome: 'succeeded' });
    expect(stripe.charges.create).toHaveBeenCalledTimes(2);
    expect(stripe.charges.create.mock.calls[1]).toEqual(stripe.charges.create.mock.calls[0]);
    expect(await paymentOf(order.id)).toMatchObject({ status: PaymentStatus.Succeeded, stripeId: 'ch_stub' });
    expect(await sentSubjects()).toEqual([Subjects.PaymentStarted, Subjects.PaymentCreated]);
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
  ])('when token and orderId are %s, then it answers 400 naming both fields', async (_case, body) => {
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
    const { order, cookie } = await orderFor();

    const res = await pay(app, cookie, { token: 'tok_visa', orderId: { $ne: '' } }).expect(400);

    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'orderId' })]);
    expect(stripe.charges.create).not.toHaveBeenCalled();
    await expectNothingStored(order.id);
  });

  it.each([
    // Minted in 2020: no order:created of it can still be on its way, so no wait.
    ['unknown', () => '5e0be1000000000000000000'],
    ['malformed', () => 'not-an-order-id'],
  ])('when the order id is %s, then it answers 404 and charges nothing', async (_case, orderId) => {
    const stripe = stubStripe();
    const { app } = testApp(stripe);

    const res = await pay(app, signinCookie(), { token: 'tok_visa', orderId: orderId() }).expect(404);

    expect(res.body).toEqual({ errors: [{ message: 'Not Found' }] });
    expect(stripe.charges.create).not.toHaveBeenCalled();
  });

  it('when the order was placed a moment ago and its order:created is still on its way, then the payment waits for it and charges (201), not 404', async () => {
    const { app } = testApp();
    const userId = newId();
    const orderId = newId();
    const paying = pay(app, signinCookie({ id: userId }), { token: 'tok_visa', orderId });
    const answered = paying.then((r) => r);
    await new Promise((r) => setTimeout(r, 200));
    await orderArrives(orderId, userId, 12);

    const res = await answered;
    expect(res.status).toBe(201);
    expect(await Payment.findById(orderId).lean()).toMatchObject({ status: PaymentStatus.Succeeded, amount: 1200 });
  });

  it('when a recent order id never arrives, then 404 after the bounded wait, and nothing is charged', async () => {
    const stripe = stubStripe();
    const { app } = testApp(stripe);
    const saved = REPLICA_WAIT.timeoutMs;
    REPLICA_WAIT.timeoutMs = 300;
    try {
      const started = Date.now();
      const res = await pay(app, signinCookie(), { token: 'tok_visa', orderId: newId() }).expect(404);
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
      expect(res.body).toEqual({ errors: [{ message: 'Not Found' }] });
      expect(stripe.charges.create).not.toHaveBeenCalled();
    } finally {
      REPLICA_WAIT.timeoutMs = saved;
    }
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

    expect(res.body).toEqual(CANCELLED);
    expect(stripe.charges.create).not.toHaveBeenCalled();
    await expectNothingStored(order.id);
  });

  it('when order:cancelled is applied after the order was checked but before the attempt was stored, then the stored attempt finds the cancel, fails without a charge and it answers 400', async () => {
    const stripe = stubStripe();
    const { app, logger, processor } = testApp(stripe);
    const listener = new OrderCancelledListener(new InMemoryBus(), logger, processor);
    const { order, cookie } = await orderFor();
    // The attempt is inserted through the driver (common insertDocument).
    const insert = Payment.collection.insertOne.bind(Payment.collection) as (...args: unknown[]) => Promise<unknown>;
    jest.spyOn(Payment.collection, 'insertOne').mockImplementationOnce((async (...args: unknown[]) => {
      await listener.handle(cancelledEvent(order.id)); // finds no payment to mark
      return insert(...args);
    }) as never);

    const res = await pay(app, cookie, { token: 'tok_visa', orderId: order.id }).expect(400);

    expect(res.body).toEqual(CANCELLED);
    expect(stripe.charges.create).not.toHaveBeenCalled();
    expect(await paymentOf(order.id)).toMatchObject({ status: PaymentStatus.Failed, failureReason: 'Order was cancelled' });
    expect(await sentSubjects()).toEqual([Subjects.PaymentStarted, Subjects.PaymentFailed]);
  });
});

describe('an order that arrived a moment ago (its copy kept, common keepArrivals)', () => {
  const arrive = async (userId: string, price = 15) => {
    const orderId = newId();
    await orderArrives(orderId, userId, price);
    return orderId;
  };

  it('when the buyer pays right after order:created arrived, then it charges with one read of the order: the status check after the attempt is stored', async () => {
    const { app } = testApp();
    const userId = newId();
    const orderId = await arrive(userId, 15);
    const reads = jest.spyOn(Order.collection, 'findOne');

    await pay(app, signinCookie({ id: userId }), { token: 'tok_visa', orderId }).expect(201);

    expect(reads).toHaveBeenCalledTimes(1);
    reads.mockRestore();
    expect(await paymentOf(orderId)).toMatchObject({ status: PaymentStatus.Succeeded, amount: 1500 });
  });

  it('when order:cancelled was applied here after the order arrived, then the copy is not used: 400 and nothing stored or charged', async () => {
    const stripe = stubStripe();
    const { app, logger, processor } = testApp(stripe);
    const userId = newId();
    const orderId = await arrive(userId);
    await new OrderCancelledListener(new InMemoryBus(), logger, processor).handle(cancelledEvent(orderId));

    const res = await pay(app, signinCookie({ id: userId }), { token: 'tok_visa', orderId }).expect(400);

    expect(res.body).toEqual(CANCELLED);
    expect(stripe.charges.create).not.toHaveBeenCalled();
    await expectNothingStored(orderId);
  });

  it('when another payments replica cancelled the order (the copy here is stale), then the status read after storing refuses: 400, no charge', async () => {
    const stripe = stubStripe();
    const { app } = testApp(stripe);
    const userId = newId();
    const orderId = await arrive(userId);
    // What another replica's order:cancelled does to the shared replica; this process never saw it.
    await Order.updateOne({ _id: orderId }, { $set: { status: OrderStatus.Cancelled, version: 1 } });

    const res = await pay(app, signinCookie({ id: userId }), { token: 'tok_visa', orderId }).expect(400);

    expect(res.body).toEqual(CANCELLED);
    expect(stripe.charges.create).not.toHaveBeenCalled();
    expect(await paymentOf(orderId)).toMatchObject({ status: PaymentStatus.Failed, failureReason: 'Order was cancelled' });
  });

  it('when someone else names the order, then the copy answers as the stored replica would: 401, nothing stored', async () => {
    const stripe = stubStripe();
    const { app } = testApp(stripe);
    const orderId = await arrive(newId());

    await pay(app, signinCookie(), { token: 'tok_visa', orderId }).expect(401);

    expect(stripe.charges.create).not.toHaveBeenCalled();
    await expectNothingStored(orderId);
  });
});

describe('an expired hold', () => {
  it('when the hold has run out but order:cancelled has not arrived yet, then it answers 400 and charges nothing', async () => {
    const stripe = stubStripe();
    const { app } = testApp(stripe);
    const { order, cookie } = await orderFor({ expiresAt: new Date(Date.now() - 1_000) });

    const res = await pay(app, cookie, { token: 'tok_visa', orderId: order.id }).expect(400);

    expect(res.body).toEqual(CANCELLED);
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

describe('a charge that lands on an order cancelled meanwhile', () => {
  it('when order:cancelled is applied while the charge is in flight, then the charge is refunded once, payment:refunded goes out instead of payment:created and it answers 400', async () => {
    const { stripe, called, release } = stripeHoldingCharges();
    const { app, logger, processor } = testApp(stripe);
    const listener = new OrderCancelledListener(new InMemoryBus(), logger, processor);
    const { order, cookie } = await orderFor();

    const paying = pay(app, cookie, { token: 'tok_visa', orderId: order.id }).then((r) => r);
    await called;
    expect(await listener.handle(cancelledEvent(order.id))).toBe('acked');
    expect(stripe.refunds.create).not.toHaveBeenCalled(); // pending: the charger refunds
    release();
    const res = await paying;
    expect(res.status).toBe(400);

    expect(res.body).toEqual(REFUNDED);
    const payment = await paymentOf(order.id);
    expect(payment).toMatchObject({ status: PaymentStatus.Refunded, stripeId: 'ch_held', refund: { id: 're_stub', amount: 2000 } });
    expect(stripe.refunds.create.mock.calls).toEqual([
      [
        { charge: 'ch_held', amount: 2000, metadata: { orderId: order.id, paymentId: payment!.paymentId } },
        { idempotencyKey: `refund:${payment!.paymentId}` },
      ],
    ]);
    expect(await sentSubjects()).toEqual([Subjects.PaymentStarted, Subjects.PaymentRefunded]);
  });
});

describe('paying twice', () => {
  it('when the order is paid again later, then it answers 400 without a second charge, payment or event', async () => {
    const stripe = stubStripe();
    const { app } = testApp(stripe);
    const { order, cookie } = await orderFor();
    await pay(app, cookie, { token: 'tok_visa', orderId: order.id }).expect(201);
    await sendOutbox();

    const res = await pay(app, cookie, { token: 'tok_visa', orderId: order.id }).expect(400);

    expect(res.body).toEqual(ALREADY_PAID);
    expect(stripe.charges.create).toHaveBeenCalledTimes(1);
    expect(await Payment.find({ orderId: order.id }).lean()).toHaveLength(1);
    expect(await sentSubjects()).toEqual([]);
    // The second request stored its attempt first (a duplicate key) and removed its marker.
    expect(await OpenPayment.findById(order.id)).toBeNull();
  });

  it('when the buyer pays an order for the first time, then no earlier payment is looked up before the attempt is stored (its insert would find one)', async () => {
    const { app } = testApp();
    const { order, cookie } = await orderFor();
    const lookups = jest.spyOn(Payment.collection, 'findOne');

    const res = await pay(app, cookie, { token: 'tok_visa', orderId: order.id }).expect(201);

    expect(lookups).not.toHaveBeenCalled();
    lookups.mockRestore();
    expect(await paymentOf(order.id)).toMatchObject({ paymentId: res.body.id, status: PaymentStatus.Succeeded });
  });

  it('when the owner pays again with another card while the first charge is in flight, then it answers 409 and no second request goes to Stripe', async () => {
    const { stripe, called, release } = stripeHoldingCharges();
    const { app } = testApp(stripe);
    const { order, cookie } = await orderFor();

    const first = pay(app, cookie, { token: 'tok_visa', orderId: order.id }).then((r) => r);
    await called;
    const second = await pay(app, cookie, { token: 'tok_mastercard', orderId: order.id }).expect(409);
    release();
    const res = await first;
    expect(res.status).toBe(201);

    expect(second.body).toEqual(IN_PROGRESS);
    expect(stripe.charges.create.mock.calls).toEqual([
      [expect.objectContaining({ source: 'tok_visa' }), { idempotencyKey: order.id }],
    ]);
    expect(await paymentOf(order.id)).toMatchObject({ paymentId: res.body.id, status: PaymentStatus.Succeeded });
    expect(await sentSubjects()).toEqual([Subjects.PaymentStarted, Subjects.PaymentCreated]);
  });

  it('when the owner submits twice at once, then one request charges, the other gets 409 or 400, with one payment and one payment:created', async () => {
    const stripe = stubStripe();
    const { app } = testApp(stripe);
    const { order, cookie } = await orderFor();

    const results = await Promise.all([
      pay(app, cookie, { token: 'tok_visa', orderId: order.id }),
      pay(app, cookie, { token: 'tok_visa', orderId: order.id }),
    ]);

    const statuses = results.map((r) => r.status).sort();
    expect([[201, 400], [201, 409]]).toContainEqual(statuses);
    expect(stripe.charges.create).toHaveBeenCalledTimes(1);
    expect(await Payment.find({ orderId: order.id }).lean()).toHaveLength(1);
    expect(await sentSubjects()).toEqual([Subjects.PaymentStarted, Subjects.PaymentCreated]);
  });

  it('when a crashed request left the payment pending and the owner retries with a new token, then the stored request is replayed under its key and it answers 201 from the result', async () => {
    const stripe = stubStripe();
    const { app, lines } = testApp(stripe);
    const { order, cookie } = await orderFor();
    const { paymentId } = await crashedAttempt(order, 'tok_visa');

    const res = await pay(app, cookie, { token: 'tok_mastercard', orderId: order.id }).expect(201);

    expect(res.body).toEqual({ id: paymentId });
    expect(stripe.charges.create.mock.calls).toEqual([
      [{ amount: 2000, currency: 'usd', source: 'tok_visa', metadata: { orderId: order.id } }, { idempotencyKey: order.id }],
    ]);
    expect(await paymentOf(order.id)).toMatchObject({ status: PaymentStatus.Succeeded, charge: { source: 'tok_visa' } });
    expect(await sentSubjects()).toEqual([Subjects.PaymentStarted, Subjects.PaymentCreated]);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'replaying the stored charge request', orderId: order.id }));
    // The crashed attempt's marker was left as it was until its replay settled it.
    expect(await OpenPayment.findById(order.id)).toBeNull();
  });

  it('when the order has an open attempt, then a new request leaves that attempt\'s marker as it is (the reconciler\'s only trace of it)', async () => {
    const { app } = testApp(stubStripe());
    const { order, cookie } = await orderFor();
    const { paymentId } = await crashedAttempt(order, 'tok_visa', 1_000);
    const marker = await OpenPayment.findById(order.id).lean();
    // This request's insert is refused (the attempt is stored), and it then replays that
    // attempt: the marker is read at the moment of the insert, before the replay settles it.
    const insert = Payment.collection.insertOne.bind(Payment.collection) as (...args: unknown[]) => Promise<unknown>;
    let markerWhenStored: unknown;
    jest.spyOn(Payment.collection, 'insertOne').mockImplementationOnce((async (...args: unknown[]) => {
      try {
        return await insert(...args);
      } finally {
        markerWhenStored = await OpenPayment.findById(order.id).lean();
      }
    }) as never);

    await pay(app, cookie, { token: 'tok_mastercard', orderId: order.id }).expect(201);

    expect(markerWhenStored).toEqual(marker);
    expect(marker).toMatchObject({ paymentId });
  });

  it('when the replay of a crashed request is declined, then it answers 402 and the next payment is a new attempt', async () => {
    const stripe = stubStripe(cardDeclined());
    const { app } = testApp(stripe);
    const { order, cookie } = await orderFor();
    await crashedAttempt(order, 'tok_chargeDeclined');

    await pay(app, cookie, { token: 'tok_visa', orderId: order.id }).expect(402);
    stripe.charges.create.mockResolvedValueOnce({ id: 'ch_second' });
    await pay(app, cookie, { token: 'tok_visa', orderId: order.id }).expect(201);

    expect(stripe.charges.create.mock.calls.map(([params, options]) => [params.source, options])).toEqual([
      ['tok_chargeDeclined', { idempotencyKey: order.id }],
      ['tok_visa', { idempotencyKey: `${order.id}:2` }],
    ]);
    expect(await paymentOf(order.id)).toMatchObject({ attempt: 2, status: PaymentStatus.Succeeded, stripeId: 'ch_second' });
  });

  it('when the order was paid before payments recorded attempts (an old payment document), then it answers 400 and charges nothing', async () => {
    const stripe = stubStripe();
    const { app } = testApp(stripe);
    const { order, cookie } = await orderFor();
    await Payment.collection.insertOne({
      _id: new mongoose.Types.ObjectId(),
      orderId: order.id,
      stripeId: 'ch_old',
      amount: 2000,
      createdAt: new Date(),
      outbox: [],
    } as never);

    const res = await pay(app, cookie, { token: 'tok_visa', orderId: order.id }).expect(400);

    expect(res.body).toEqual(ALREADY_PAID);
    expect(stripe.charges.create).not.toHaveBeenCalled();
    expect(await sentSubjects()).toEqual([]);
  });
});

