import { Subjects, TicketCreatedEvent } from '@ticketing/common';
import { captureLogger, envelopeOf, InMemoryBus, newId } from '@ticketing/common/testing';
import { Ticket } from '../../../models/ticket';
import { TicketCreatedListener } from '../ticket-created-listener';

const listener = () => new TicketCreatedListener(new InMemoryBus(), captureLogger().logger);
const created = (data: Partial<TicketCreatedEvent['data']> = {}) =>
  envelopeOf<TicketCreatedEvent>(Subjects.TicketCreated, { id: newId(), version: 0, title: 'Concert', price: 20, userId: newId(), ...data });

describe('TicketCreatedListener', () => {
  it('when a ticket is created, then the replica holds it under the same id', async () => {
    const event = created({ title: 'Opera', price: 35 });
    expect(await listener().handle(event)).toBe('acked');
    const stored = await Ticket.findById(event.data.id);
    expect(stored?.toObject()).toEqual({ _id: event.data.id, title: 'Opera', price: 35, userId: event.data.userId, version: 0 });
  });

  it('when the same event is delivered twice, then both are acked and there is one replica', async () => {
    const l = listener();
    const event = created();
    expect(await l.handle(event)).toBe('acked');
    expect(await l.handle(event)).toBe('acked');
    expect(await Ticket.countDocuments({ _id: event.data.id })).toBe(1);
  });

  it('when ticket:created is redelivered after an update was applied, then the update is kept', async () => {
    const l = listener();
    const event = created({ title: 'Old' });
    await l.handle(event);
    await Ticket.updateOne({ _id: event.data.id }, { $set: { title: 'New', version: 1 } });

    expect(await l.handle(event)).toBe('acked');
    expect(await Ticket.findById(event.data.id)).toMatchObject({ title: 'New', version: 1 });
  });
});
