import { OrderCancelledEvent, OrderCreatedEvent, OrderStatus, Subjects } from '@ticketing/common';
import { captureLogger, envelopeOf, InMemoryBus, newId } from '@ticketing/common/testing';
import { buildApp } from '../app';
import { OrderCancelledListener } from '../events/listeners/order-cancelled-listener';
import { OrderCreatedListener } from '../events/listeners/order-created-listener';
import { listedTickets } from '../models/listed-tickets';
import { Ticket, TicketAttrs } from '../models/ticket';

/** The app as the service builds it, with its log lines kept for assertions. */
export function testApp() {
  const { logger, lines } = captureLogger();
  const app = buildApp({ logger, jwtKey: process.env.JWT_KEY!, cookieSecure: false });
  return { app, lines };
}

/** A ticket stored directly, with no pending events: a test's own starting state. */
export function storeTicket(fields: Partial<TicketAttrs> = {}) {
  return Ticket.create({ title: 'Concert', price: 20, userId: newId(), version: 0, ...fields });
}

/**
 * `count` free tickets titled "T0".."T<count-1>", stored directly (ids ascending, so T0 is
 * the oldest), then read into the list as the service's start-up scan would.
 */
export async function storeListedTickets(count: number, fields: Partial<TicketAttrs> = {}) {
  const stored = await Ticket.insertMany(
    Array.from({ length: count }, (_, i) => ({ title: `T${i}`, price: 10, userId: newId(), version: 0, ...fields })),
  );
  await listedTickets.load();
  return stored;
}

/** Both listeners of the service on one bus double, with their log lines kept. */
export function testListeners() {
  const { logger, lines } = captureLogger();
  const bus = new InMemoryBus();
  return { created: new OrderCreatedListener(bus, logger), cancelled: new OrderCancelledListener(bus, logger), lines };
}

export const orderCreated = (ticketId: string, orderId = newId()) =>
  envelopeOf<OrderCreatedEvent>(
    Subjects.OrderCreated,
    {
      id: orderId,
      version: 0,
      status: OrderStatus.Created,
      userId: newId(),
      expiresAt: new Date(Date.now() + 15 * 60_000).toISOString(),
      ticket: { id: ticketId, price: 20 },
    },
    { requestId: 'req-order-1', source: 'orders' },
  );

export const orderCancelled = (ticketId: string, orderId: string) =>
  envelopeOf<OrderCancelledEvent>(Subjects.OrderCancelled, { id: orderId, version: 1, ticket: { id: ticketId } });
