import request from 'supertest';
import Stripe from 'stripe';
import { captureLogger, newId, signinCookie } from '@ticketing/common/testing';
import { OrderStatus } from '@ticketing/common';
import { buildApp } from '../app';
import { createStripeClient, StripeClient } from '../stripe';
import { Order, OrderAttrs } from '../models/order';

/** The app with a real SDK on the test run's stripe-mock, or with `stripe` stubbed. */
export function testApp(stripe: StripeClient = createStripeClient('sk_test_payments', process.env.STRIPE_API_BASE)) {
  const { logger, lines } = captureLogger();
  const app = buildApp({ logger, jwtKey: process.env.JWT_KEY!, cookieSecure: false, stripe });
  return { app, lines };
}

/** A Stripe client whose charges succeed with `ch_stub` (or fail with `error`), recording calls. */
export function stubStripe(error?: Error) {
  const create = jest.fn<Promise<{ id: string }>, Parameters<StripeClient['charges']['create']>>(async () => {
    if (error) throw error;
    return { id: 'ch_stub' };
  });
  return { charges: { create } };
}

export const cardDeclined = () =>
  new Stripe.errors.StripeCardError({ type: 'card_error', code: 'card_declined', message: 'Your card was declined.' });

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

export const pay = (app: ReturnType<typeof testApp>['app'], cookie: string[] | undefined, body: object) => {
  const req = request(app).post('/api/payments');
  if (cookie) req.set('Cookie', cookie);
  return req.send(body);
};
