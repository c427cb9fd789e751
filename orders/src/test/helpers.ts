import request from 'supertest';
import type { Express } from 'express';
import { PaymentCreatedEvent, PaymentFailedEvent, PaymentRefundedEvent, PaymentStartedEvent, Subjects } from '@ticketing/common';
import { captureLogger, envelopeOf, flushOutbox, InMemoryBus, newId, signinCookie } from '@ticketing/common/testing';
import { buildApp } from '../app';
import { Order } from '../models/order';
import { Ticket, TicketAttrs } from '../models/ticket';

export const HOLD_SECONDS = 900;

/** The app as index.ts builds it, with its log lines kept for assertions. */
export function testApp(orderExpirationSeconds = HOLD_SECONDS) {
  const { logger, lines } = captureLogger();
  const app = buildApp({ logger, jwtKey: process.env.JWT_KEY!, cookieSecure: false, orderExpirationSeconds });
  return { app, lines };
}

/** A ticket in the replica, as ticket:created would have stored it; each call a new one. */
export function createTicket(attrs: Partial<TicketAttrs> = {}) {
  return Ticket.create({ _id: newId(), title: 'Concert', price: 20, userId: newId(), version: 0, ...attrs });
}

/** A buyer with a session cookie. */
export function buyer(id = newId()) {
  return { id, cookie: signinCookie({ id }) };
}

/** Places an order through the route, then sends its order:created so later assertions see only new events. */
export async function placeOrder(app: Express, who = buyer()) {
  const ticket = await createTicket();
  const res = await request(app).post('/api/orders').set('Cookie', who.cookie).send({ ticketId: ticket.id }).expect(201);
  await flushOutbox([Order]);
  return { ticket, who, orderId: res.body.id as string, order: res.body };
}

/** What the relay would send now. */
export const sentEvents = (): Promise<InMemoryBus> => flushOutbox([Order]);

/** Moves an order's expiresAt into the past, as if its hold window had run out. */
export async function makeOverdue(orderId: string, msAgo = 1_000) {
  const expiresAt = new Date(Date.now() - msAgo);
  await Order.updateOne({ _id: orderId }, { $set: { expiresAt } });
  return expiresAt;
}

/** The payments service's events, as orders receives them; each call a new event id. */
export const paymentEvents = {
  started: (orderId: string, holdUntil: Date, id = newId()) =>
    envelopeOf<PaymentStartedEvent>(Subjects.PaymentStarted, { id, orderId, holdUntil: holdUntil.toISOString() }, { requestId: 'req-pay-1' }),
  failed: (orderId: string, id: string, reason = 'Your card was declined.') =>
    envelopeOf<PaymentFailedEvent>(Subjects.PaymentFailed, { id, orderId, reason }, { requestId: 'req-pay-1' }),
  created: (orderId: string, id = newId()) =>
    envelopeOf<PaymentCreatedEvent>(Subjects.PaymentCreated, { id, orderId, stripeId: `ch_${id}` }, { requestId: 'req-pay-1' }),
  refunded: (orderId: string, id: string, amount = 2000) =>
    envelopeOf<PaymentRefundedEvent>(
      Subjects.PaymentRefunded,
      { id, orderId, stripeId: `ch_${id}`, refundId: `re_${id}`, amount },
      { requestId: 'req-pay-1' },
    ),
};

/** Seconds from now, as a Date. */
export const inSeconds = (s: number) => new Date(Date.now() + s * 1000);
