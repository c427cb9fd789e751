import { Subjects, TicketCreatedEvent, TicketUpdatedEvent } from '@ticketing/common';
import { captureLogger, envelopeOf, InMemoryBus, newId } from '@ticketing/common/testing';
import { listedTickets } from '../../../models/listed-tickets';
import { TicketCreatedFollower, TicketUpdatedFollower } from '../ticket-list-follower';

// Another replica's writes reach this process's list through the service's own events,
// one event hop after the write, without a database query.
const listedIds = () => JSON.parse(listedTickets.page(100).json).map((t: { id: string }) => t.id);

function followers() {
  const bus = new InMemoryBus();
  const { logger } = captureLogger();
  return { created: new TicketCreatedFollower(bus, logger), updated: new TicketUpdatedFollower(bus, logger) };
}

it('when another replica lists a ticket, then it is in this list as soon as its ticket:created arrives', async () => {
  const { created } = followers();
  const id = newId();
  expect(listedIds()).not.toContain(id);
  expect(await created.handle(envelopeOf<TicketCreatedEvent>(Subjects.TicketCreated, { id, version: 0, title: 'Elsewhere', price: 12, userId: newId() }))).toBe('acked');
  expect(listedIds()[0]).toBe(id);
});

it('when another replica reserves then frees a ticket, then it leaves and comes back; a late older version changes nothing', async () => {
  const { created, updated } = followers();
  const id = newId();
  const userId = newId();
  await created.handle(envelopeOf<TicketCreatedEvent>(Subjects.TicketCreated, { id, version: 0, title: 'T', price: 12, userId }));
  await updated.handle(envelopeOf<TicketUpdatedEvent>(Subjects.TicketUpdated, { id, version: 1, title: 'T', price: 12, userId, orderId: newId() }));
  expect(listedIds()).not.toContain(id);
  await updated.handle(envelopeOf<TicketUpdatedEvent>(Subjects.TicketUpdated, { id, version: 2, title: 'T2', price: 12, userId }));
  expect(listedIds()).toContain(id);
  // The reservation (version 1) delivered again, late: the list keeps version 2.
  await updated.handle(envelopeOf<TicketUpdatedEvent>(Subjects.TicketUpdated, { id, version: 1, title: 'T', price: 12, userId, orderId: newId() }));
  expect(listedIds()).toContain(id);
  expect(JSON.parse(listedTickets.page(100).json).find((t: { id: string }) => t.id === id).title).toBe('T2');
});

it('follows with a per-process, non-durable subscription (every replica gets every event)', () => {
  const { created, updated } = followers();
  expect(created.durable).toBe(false);
  expect(updated.durable).toBe(false);
});
