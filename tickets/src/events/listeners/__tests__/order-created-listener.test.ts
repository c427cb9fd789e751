import { Subjects, TicketUpdatedEvent } from '@ticketing/common';
import { flushOutbox, newId } from '@ticketing/common/testing';
import { Ticket } from '../../../models/ticket';
import { listedTickets } from '../../../models/listed-tickets';
import { orderCancelled, orderCreated, storeTicket, testListeners } from '../../../test/helpers';

const updates = async () => (await flushOutbox([Ticket])).envelopes<TicketUpdatedEvent>(Subjects.TicketUpdated);

it('when order:created arrives, then the ticket is reserved for it with version+1 and one ticket:updated', async () => {
  const { created } = testListeners();
  const ticket = await storeTicket({ title: 'Opera', price: 45 });
  const event = orderCreated(ticket.id);

  expect(await created.handle(event)).toBe('acked');

  expect(await Ticket.findById(ticket.id)).toMatchObject({ orderId: event.data.id, version: 1, title: 'Opera', price: 45 });
  const sent = await updates();
  expect(sent.map((e) => e.data)).toEqual([
    { id: ticket.id, version: 1, title: 'Opera', price: 45, userId: ticket.userId, orderId: event.data.id },
  ]);
  // The request that placed the order stays traceable through our event.
  expect(sent[0].meta).toMatchObject({ requestId: 'req-order-1', source: 'tickets' });
});

it('when the same order:created is delivered twice, then one reservation and one ticket:updated', async () => {
  const { created } = testListeners();
  const ticket = await storeTicket();
  const event = orderCreated(ticket.id);

  expect(await created.handle(event)).toBe('acked');
  expect(await created.handle(event)).toBe('acked');

  expect(await Ticket.findById(ticket.id)).toMatchObject({ orderId: event.data.id, version: 1 });
  expect(await updates()).toHaveLength(1);
});

it('when the ticket is unknown, then the event is not acked (retried, then dead-lettered) and nothing is stored', async () => {
  const { created } = testListeners();
  const other = await storeTicket();
  expect(await created.handle(orderCreated(newId()))).toBe('retry');
  expect(await created.handle(orderCreated('not-an-object-id'))).toBe('retry');
  expect(await created.handle(orderCreated(newId()), created.maxAttempts)).toBe('dead-lettered');
  expect(await Ticket.findById(other.id)).toMatchObject({ version: 0, orderId: undefined });
  expect(await updates()).toEqual([]);
});

it('when another order still holds the ticket, then the event waits (out of order) and reserves once that order is cancelled', async () => {
  const { created, cancelled, lines } = testListeners();
  const ticket = await storeTicket();
  const first = orderCreated(ticket.id);
  const second = orderCreated(ticket.id);
  await created.handle(first);

  // The orders service cancelled the first order and reserved for the second, but the
  // first's order:cancelled travels on another channel and has not arrived yet.
  expect(await created.handle(second)).toBe('retry');
  expect(await Ticket.findById(ticket.id)).toMatchObject({ orderId: first.data.id, version: 1 });
  expect(lines.some((l) => l.msg === 'event ahead of local state, will retry')).toBe(true);

  await cancelled.handle(orderCancelled(ticket.id, first.data.id));
  expect(await created.handle(second, 2)).toBe('acked');

  expect(await Ticket.findById(ticket.id)).toMatchObject({ orderId: second.data.id, version: 3 });
  expect((await updates()).map((e) => [e.data.version, e.data.orderId])).toEqual([
    [1, first.data.id],
    [2, undefined],
    [3, second.data.id],
  ]);
});

it('when order:cancelled overtook its order:created, then the ticket stays free and nothing is published', async () => {
  const { created, cancelled, lines } = testListeners();
  const ticket = await storeTicket();
  const event = orderCreated(ticket.id);

  expect(await cancelled.handle(orderCancelled(ticket.id, event.data.id))).toBe('acked');
  expect(await created.handle(event)).toBe('acked');

  const stored = await Ticket.findById(ticket.id);
  expect(stored).toMatchObject({ version: 0, orderId: undefined });
  expect(await updates()).toEqual([]);
  expect(lines.find((l) => l.msg === 'order:created handled')).toMatchObject({ outcome: 'order already cancelled' });
  // And the ticket can still be sold to the next order.
  expect(await created.handle(orderCreated(ticket.id))).toBe('acked');
  expect((await Ticket.findById(ticket.id))!.version).toBe(1);
});

it('when order:created is redelivered after its order was cancelled, then the ticket is not reserved again', async () => {
  const { created, cancelled } = testListeners();
  const ticket = await storeTicket();
  const event = orderCreated(ticket.id);

  await created.handle(event);
  await cancelled.handle(orderCancelled(ticket.id, event.data.id));
  expect(await created.handle(event)).toBe('acked');

  expect(await Ticket.findById(ticket.id)).toMatchObject({ version: 2, orderId: undefined });
  expect((await updates()).map((e) => e.data.version)).toEqual([1, 2]);
});

it('when order:created and order:cancelled of one order race, then the ticket always ends free', async () => {
  const { created, cancelled } = testListeners();
  for (let round = 0; round < 10; round++) {
    const ticket = await storeTicket();
    const event = orderCreated(ticket.id);
    await Promise.all([created.handle(event), cancelled.handle(orderCancelled(ticket.id, event.data.id))]);
    const stored = await Ticket.findById(ticket.id);
    expect(stored!.orderId).toBeUndefined();
    // Either it never reserved (version 0) or it reserved and freed (version 2).
    expect([0, 2]).toContain(stored!.version);
  }
});

describe('when the list knows the ticket as for sale (the POST put it there)', () => {
  const listedTicket = async (fields: Parameters<typeof storeTicket>[0] = {}) => {
    const ticket = await storeTicket(fields);
    listedTickets.applyStored(ticket);
    return ticket;
  };

  it('when order:created arrives, then it reserves with one conditional write and no read, and the list drops the ticket; a redelivery changes nothing', async () => {
    const { created } = testListeners();
    const ticket = await listedTicket({ title: 'Ballet', price: 60 });
    const event = orderCreated(ticket.id);
    const reads = jest.spyOn(Ticket.collection, 'findOne');

    expect(await created.handle(event)).toBe('acked');

    expect(reads).not.toHaveBeenCalled();
    reads.mockRestore();
    expect(await Ticket.findById(ticket.id)).toMatchObject({ orderId: event.data.id, version: 1, title: 'Ballet', price: 60 });
    expect((await updates()).map((e) => e.data)).toEqual([
      { id: ticket.id, version: 1, title: 'Ballet', price: 60, userId: ticket.userId, orderId: event.data.id },
    ]);
    expect(listedTickets.listed(ticket.id)).toBeUndefined();
    // Delivered again: the list no longer has it for sale, the read path finds it reserved.
    expect(await created.handle(event)).toBe('acked');
    expect(await updates()).toEqual([]);
  });

  it('when another replica changed the ticket since the list saw it, then the write misses, the ticket is read and reserved on its stored state', async () => {
    const { created } = testListeners();
    const ticket = await listedTicket({ title: 'Old title', price: 20 });
    // Another replica's edit (version 1), not yet in this replica's list.
    await Ticket.updateOne({ _id: ticket.id }, { $set: { title: 'New title', price: 25, version: 1 } });
    const event = orderCreated(ticket.id);

    expect(await created.handle(event)).toBe('acked');

    expect(await Ticket.findById(ticket.id)).toMatchObject({ orderId: event.data.id, version: 2, title: 'New title', price: 25 });
    expect((await updates()).map((e) => e.data)).toEqual([
      { id: ticket.id, version: 2, title: 'New title', price: 25, userId: ticket.userId, orderId: event.data.id },
    ]);
  });

  it('when another order holds it though the list says for sale, then the event waits and nothing is written', async () => {
    const { created } = testListeners();
    const holder = newId();
    const ticket = await listedTicket();
    await Ticket.updateOne({ _id: ticket.id }, { $set: { orderId: holder } });

    expect(await created.handle(orderCreated(ticket.id))).toBe('retry');

    expect(await Ticket.findById(ticket.id)).toMatchObject({ orderId: holder, version: 0 });
    expect(await updates()).toEqual([]);
  });

  it('when order:cancelled overtook its order:created, then the ticket stays free (the write checks the released orders)', async () => {
    const { created, cancelled, lines } = testListeners();
    const ticket = await listedTicket();
    const event = orderCreated(ticket.id);

    expect(await cancelled.handle(orderCancelled(ticket.id, event.data.id))).toBe('acked');
    expect(await created.handle(event)).toBe('acked');

    expect(await Ticket.findById(ticket.id)).toMatchObject({ version: 0, orderId: undefined });
    expect(await updates()).toEqual([]);
    expect(lines.find((l) => l.msg === 'order:created handled')).toMatchObject({ outcome: 'order already cancelled' });
  });

  it('when two orders of one ticket arrive at once, then exactly one reserves it', async () => {
    const { created } = testListeners();
    for (let round = 0; round < 5; round++) {
      const ticket = await listedTicket();
      const [a, b] = [orderCreated(ticket.id), orderCreated(ticket.id)];
      const outcomes = await Promise.all([created.handle(a), created.handle(b)]);
      expect(outcomes.sort()).toEqual(['acked', 'retry']);
      const stored = await Ticket.findById(ticket.id);
      expect([a.data.id, b.data.id]).toContain(stored!.orderId);
      expect(stored!.version).toBe(1);
    }
    expect(await updates()).toHaveLength(5);
  });
});
