import { captureLogger, newId } from '@ticketing/common/testing';
import { buildApp } from '../app';
import { listedTickets } from '../models/listed-tickets';
import { Ticket, TicketFields } from '../models/ticket';

/** The app as the service builds it, with its log lines kept for assertions. */
export function testApp() {
  const { logger, lines } = captureLogger();
  const app = buildApp({ logger, jwtKey: process.env.JWT_KEY!, cookieSecure: false });
  return { app, lines };
}

/** A ticket stored directly, with no pending events: a test's own starting state. */
export function storeTicket(fields: Partial<TicketFields> = {}) {
  return Ticket.create({ title: 'Concert', price: 20, userId: newId(), version: 0, ...fields });
}

/**
 * `count` free tickets titled "T0".."T<count-1>", stored directly (ids ascending, so T0 is
 * the oldest), then read into the list as the service's start-up scan would.
 */
export async function storeListedTickets(count: number, fields: Partial<TicketFields> = {}) {
  const stored = await Ticket.insertMany(
    Array.from({ length: count }, (_, i) => ({ title: `T${i}`, price: 10, userId: newId(), version: 0, ...fields })),
  );
  await listedTickets.load();
  return stored;
}
