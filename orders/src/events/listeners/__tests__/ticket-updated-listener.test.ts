import { EventOutOfOrderError, Subjects, TicketUpdatedEvent } from '@ticketing/common';
import { captureLogger, envelopeOf, InMemoryBus } from '@ticketing/common/testing';
import { Ticket } from '../../../models/ticket';
import { createTicket } from '../../../test/helpers';
import { TicketUpdatedListener } from '../ticket-updated-listener';

async function setup() {
  const { logger, lines } = captureLogger();
  const listener = new TicketUpdatedListener(new InMemoryBus(), logger);
  const ticket = await createTicket({ title: 'v0', price: 10 });
  const update = (version: number) =>
    envelopeOf<TicketUpdatedEvent>(Subjects.TicketUpdated, {
      id: ticket.id,
      version,
      title: `v${version}`,
      price: 10 + version,
      userId: ticket.userId,
    });
  const stored = async () => (await Ticket.findById(ticket.id))!.toObject();
  return { listener, lines, ticket, update, stored };
}

describe('TicketUpdatedListener', () => {
  it('when the next version arrives, then title, price and version are applied', async () => {
    const { listener, update, stored } = await setup();
    expect(await listener.handle(update(1))).toBe('acked');
    expect(await stored()).toMatchObject({ title: 'v1', price: 11, version: 1 });
  });

  it('when v2 arrives before v1, then v2 is refused as out of order, and once v1 is in both apply in order', async () => {
    const { listener, lines, update, stored } = await setup();
    const v1 = update(1);
    const v2 = update(2);

    await expect(listener.onMessage(v2.data)).rejects.toThrow(EventOutOfOrderError);
    expect(await listener.handle(v2)).toBe('retry');
    expect(lines.some((l) => l.msg === 'event ahead of local state, will retry')).toBe(true);
    expect(await stored()).toMatchObject({ title: 'v0', version: 0 });

    expect(await listener.handle(v1)).toBe('acked');
    expect(await listener.handle(v2)).toBe('acked');
    expect(await stored()).toMatchObject({ title: 'v2', price: 12, version: 2 });
  });

  it('when an update is delivered twice, even after a later one, then it is acked and applied once', async () => {
    const { listener, update, stored } = await setup();
    const v1 = update(1);
    await listener.handle(v1);
    expect(await listener.handle(v1)).toBe('acked');
    expect(await stored()).toMatchObject({ title: 'v1', version: 1 });

    await listener.handle(update(2));
    expect(await listener.handle(v1)).toBe('acked');
    expect(await stored()).toMatchObject({ title: 'v2', version: 2 });
  });

  it('when a version is skipped, then the later one waits (a gap) and nothing changes', async () => {
    const { listener, update, stored } = await setup();
    await listener.handle(update(1));
    await expect(listener.onMessage(update(3).data)).rejects.toThrow(EventOutOfOrderError);
    expect(await stored()).toMatchObject({ title: 'v1', version: 1 });
  });

  it('when the ticket is not in the replica yet, then the update waits for ticket:created', async () => {
    const { listener, update } = await setup();
    const event = update(1);
    await Ticket.deleteOne({ _id: event.data.id });
    await expect(listener.onMessage(event.data)).rejects.toThrow(EventOutOfOrderError);
    expect(await Ticket.countDocuments()).toBe(0);
  });
});
