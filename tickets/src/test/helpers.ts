import { captureLogger, newId } from '@ticketing/common/testing';
import { buildApp } from '../app';
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
