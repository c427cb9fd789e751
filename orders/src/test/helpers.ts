import request from 'supertest';
import type { Express } from 'express';
import { captureLogger, flushOutbox, InMemoryBus, newId, signinCookie } from '@ticketing/common/testing';
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
