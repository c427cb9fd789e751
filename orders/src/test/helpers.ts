import mongoose, { Types } from 'mongoose';
import request from 'supertest';
import type { Express } from 'express';
import { PaymentCreatedEvent, PaymentFailedEvent, PaymentRefundedEvent, PaymentStartedEvent, Subjects, TicketUpdatedEvent } from '@ticketing/common';
import { captureLogger, envelopeOf, flushOutbox, InMemoryBus, newId, signinCookie } from '@ticketing/common/testing';
import { buildApp } from '../app';
import { ActiveHold } from '../models/active-hold';
import { holdEndsAt, Order } from '../models/order';
import { Ticket, TicketAttrs } from '../models/ticket';
import { TicketUpdatedListener } from '../events/listeners/ticket-updated-listener';

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

/**
 * Tickets' answer to order:created, delivered to orders' listener: the ticket at its next
 * version, held by the order (or released, without one).
 */
export async function reportTicketHeld(ticketId: string, orderId: string | undefined) {
  const t = (await Ticket.findById(ticketId).lean())!;
  const event = envelopeOf<TicketUpdatedEvent>(Subjects.TicketUpdated, {
    id: t._id,
    version: t.version + 1,
    title: t.title,
    price: t.price,
    userId: t.userId,
    ...(orderId && { orderId }),
  });
  return new TicketUpdatedListener(new InMemoryBus(), captureLogger().logger).handle(event);
}

/**
 * Places an order through the route, lets tickets report the reservation back (so the
 * replica names the holder), then sends its order:created so later assertions see only
 * new events.
 */
export async function placeOrder(app: Express, who = buyer()) {
  const ticket = await createTicket();
  const res = await request(app).post('/api/orders').set('Cookie', who.cookie).send({ ticketId: ticket.id }).expect(201);
  await reportTicketHeld(ticket.id, res.body.id);
  await flushOutbox([Order]);
  return { ticket, who, orderId: res.body.id as string, order: res.body };
}

/** What the relay would send now. */
export const sentEvents = (): Promise<InMemoryBus> => flushOutbox([Order]);

/**
 * Moves an order's expiresAt into the past, as if its hold window had run out; its hold
 * marker, when it has one, follows as the service keeps it (the hold's end).
 */
export async function makeOverdue(orderId: string, msAgo = 1_000) {
  const expiresAt = new Date(Date.now() - msAgo);
  const order = await Order.findOneAndUpdate({ _id: orderId }, { $set: { expiresAt } }, { new: true });
  if (order) await ActiveHold.updateOne({ _id: orderId }, { $set: { endsAt: holdEndsAt(order) } });
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

export interface DbOp {
  collection: string;
  method: string;
  filter?: Record<string, unknown>;
}

const WRITES_WITHOUT_FILTER = new Set(['insertOne', 'insertMany']);

/** Every database call `action` makes, as mongoose issues them. */
export async function opsOf(action: () => Promise<unknown>): Promise<DbOp[]> {
  const ops: DbOp[] = [];
  mongoose.set('debug', (collection: string, method: string, ...args: unknown[]) => {
    ops.push({ collection, method, filter: WRITES_WITHOUT_FILTER.has(method) ? undefined : (args[0] as Record<string, unknown>) });
  });
  try {
    await action();
  } finally {
    mongoose.set('debug', false);
  }
  return ops;
}

const isOperatorObject = (v: unknown) =>
  typeof v === 'object' && v !== null && !(v instanceof Date) && !(v instanceof Types.ObjectId) && Object.keys(v).some((k) => k.startsWith('$'));

const isIdValue = (id: unknown) => typeof id === 'string' || id instanceof Types.ObjectId;

/**
 * The call names its documents by `_id` (real MongoDB: the _id index): an `_id` equality,
 * the rest of the filter equalities (the compare-and-set tokens), never operators; or an
 * `_id: {$in: [ids]}` alone. FerretDB 1.24 pushes down only `{_id: X}`; our gate serves
 * `{_id, …equalities}` and `{_id: {$in}}` by `_id` lookups too (tools/README.md).
 */
export const isIdLookup = (op: DbOp) => {
  if (!op.filter) return WRITES_WITHOUT_FILTER.has(op.method);
  const id = op.filter._id;
  const inIds = (id as { $in?: unknown[] } | undefined)?.$in;
  if (Array.isArray(inIds) && Object.keys(id as object).length === 1) {
    return Object.keys(op.filter).length === 1 && inIds.every(isIdValue);
  }
  return isIdValue(id) && Object.entries(op.filter).every(([k, v]) => !k.startsWith('$') && !isOperatorObject(v));
};
