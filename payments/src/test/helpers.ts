import request from 'supertest';
import Stripe from 'stripe';
import mongoose from 'mongoose';
import { captureLogger, flushOutbox, InMemoryBus, newId, signinCookie } from '@ticketing/common/testing';
import { OrderStatus } from '@ticketing/common';
import { buildApp } from '../app';
import { createStripeClient, StripeClient } from '../stripe';
import { Order, OrderAttrs } from '../models/order';
import { idempotencyKeyOf, Payment, PaymentStatus } from '../models/payment';
import { PaymentProcessor } from '../payment-processor';
import { OpenPayment } from '../models/open-payment';
import { PaymentStartedPublisher } from '../events/publishers/payment-started-publisher';

/** The SDK on the test run's stripe-mock. */
export const mockStripe = () => createStripeClient('sk_test_payments', process.env.STRIPE_API_BASE);

/**
 * The app with a real SDK on the test run's stripe-mock, or with `stripe` stubbed; with its
 * processor (shared with listeners and reconcilers a test builds) and captured log lines.
 */
export function testApp(stripe: StripeClient = mockStripe(), opts: { stripeDeadlineMs?: number } = {}) {
  const { logger, lines } = captureLogger();
  const processor = new PaymentProcessor(stripe, logger, opts.stripeDeadlineMs);
  const app = buildApp({ logger, jwtKey: process.env.JWT_KEY!, cookieSecure: false, processor });
  return { app, lines, logger, processor };
}

type ChargeCall = Parameters<StripeClient['charges']['create']>;
type RefundCall = Parameters<StripeClient['refunds']['create']>;

/**
 * A Stripe client whose charges succeed with `ch_stub` (or fail with `error`) and whose
 * refunds succeed with `re_stub` for the amount asked, recording calls.
 */
export function stubStripe(error?: Error) {
  const create = jest.fn<Promise<{ id: string }>, ChargeCall>(async () => {
    if (error) throw error;
    return { id: 'ch_stub' };
  });
  const refund = jest.fn<Promise<{ id: string; amount: number }>, RefundCall>(async (params) => ({
    id: 're_stub',
    amount: params.amount ?? 0,
  }));
  return { charges: { create }, refunds: { create: refund } };
}

/**
 * A stubbed Stripe whose charge calls wait until the test releases them: `called` resolves
 * when the first call arrives, `release` answers every waiting call with `ch_held` (or
 * throws `error`).
 */
export function stripeHoldingCharges() {
  const stripe = stubStripe();
  const waiting: (() => void)[] = [];
  let outcome: { error?: Error } | undefined;
  let arrived!: () => void;
  const called = new Promise<void>((r) => (arrived = r));
  stripe.charges.create.mockImplementation(
    () =>
      new Promise((resolve, reject) => {
        const answer = () => (outcome!.error ? reject(outcome!.error) : resolve({ id: 'ch_held' }));
        if (outcome) answer();
        else waiting.push(answer);
        arrived();
      }),
  );
  const release = (error?: Error) => {
    outcome = { error };
    waiting.splice(0).forEach((answer) => answer());
  };
  return { stripe, called, release };
}

export const cardDeclined = () =>
  new Stripe.errors.StripeCardError({ type: 'card_error', code: 'card_declined', message: 'Your card was declined.' });

export const stripeDown = () =>
  new Stripe.errors.StripeConnectionError({ type: 'api_error', message: 'connect ECONNREFUSED 127.0.0.1:443' });

export const invalidRequest = (code: string, param: string, message: string) =>
  new Stripe.errors.StripeInvalidRequestError({ type: 'invalid_request_error', code, param, message });

/** An order in the replica, owned by a new user unless told; with that user's cookie. */
export async function orderFor(attrs: Partial<OrderAttrs> = {}) {
  const userId = attrs.userId ?? newId();
  const order = await Order.create({
    _id: newId(),
    userId,
    price: 20,
    status: OrderStatus.Created,
    version: 0,
    ...attrs,
  });
  return { order, cookie: signinCookie({ id: userId }) };
}

/**
 * The pending payment a process leaves when it dies during the Stripe call: stored with its
 * charge request and payment:started, settled by nobody, last touched `ageMs` ago.
 */
export async function crashedAttempt(order: { _id: string; price: number }, token = 'tok_visa', ageMs = 60_000) {
  const orderId = order._id;
  const paymentId = new mongoose.Types.ObjectId().toHexString();
  const amount = Math.round(order.price * 100);
  const at = new Date(Date.now() - ageMs);
  const started = new PaymentStartedPublisher().toOutbox({ id: paymentId, orderId, holdUntil: at.toISOString() });
  await new Payment({
    _id: orderId,
    orderId,
    paymentId,
    attempt: 1,
    status: PaymentStatus.Pending,
    idempotencyKey: idempotencyKeyOf(orderId, 1),
    charge: { amount, currency: 'usd', source: token, metadata: { orderId } },
    amount,
    outbox: [started],
    createdAt: at,
    updatedAt: at,
  }).save({ timestamps: false });
  await OpenPayment.create({ _id: orderId, paymentId, openedAt: at });
  return { paymentId, amount };
}

export const pay = (app: ReturnType<typeof testApp>['app'], cookie: string[] | undefined, body: object) => {
  const req = request(app).post('/api/payments');
  if (cookie) req.set('Cookie', cookie);
  return req.send(body);
};

/** The stored payment of an order (keyed by the order id). */
export const paymentOf = (orderId: string) => Payment.findById(orderId).lean();

/** Sends every stored outbox entry to a new in-memory bus, as the relay would. */
export const sendOutbox = (): Promise<InMemoryBus> => flushOutbox([Payment]);

/** Subjects of the events the outbox sends, in order. */
export const sentSubjects = async () => (await sendOutbox()).allEnvelopes().map((e) => e.subject);
