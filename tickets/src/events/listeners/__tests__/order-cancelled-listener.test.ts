import { Subjects, TicketUpdatedEvent } from '@ticketing/common';
import { flushOutbox, newId } from '@ticketing/common/testing';
import { RELEASED_ORDERS_KEPT, Ticket } from '../../../models/ticket';
import { orderCancelled, storeTicket, testListeners } from '../../../test/helpers';

const updates = async () => (await flushOutbox([Ticket])).events<TicketUpdatedEvent>(Subjects.TicketUpdated);

it('when the order holding the ticket is cancelled, then the ticket is freed with version+1 and one ticket:updated', async () => {
  const { cancelled } = testListeners();
  const orderId = newId();
  const ticket = await storeTicket({ orderId, version: 3, title: 'Opera', price: 45 });

  expect(await cancelled.handle(orderCancelled(ticket.id, orderId))).toBe('acked');

  const stored = await Ticket.findById(ticket.id);
  expect(stored).toMatchObject({ version: 4, orderId: undefined, title: 'Opera', price: 45 });
  expect(await updates()).toEqual([{ id: ticket.id, version: 4, title: 'Opera', price: 45, userId: ticket.userId }]);
});

it('when the same order:cancelled is delivered twice, then the ticket is freed once and one ticket:updated is published', async () => {
  const { cancelled } = testListeners();
  const orderId = newId();
  const ticket = await storeTicket({ orderId, version: 1 });
  const event = orderCancelled(ticket.id, orderId);

  expect(await cancelled.handle(event)).toBe('acked');
  expect(await cancelled.handle(event)).toBe('acked');

  expect(await Ticket.findById(ticket.id)).toMatchObject({ version: 2, orderId: undefined });
  expect(await updates()).toHaveLength(1);
});

it('when another order is cancelled, then the reservation stays and nothing is published', async () => {
  const { cancelled } = testListeners();
  const holder = newId();
  const ticket = await storeTicket({ orderId: holder, version: 1 });

  expect(await cancelled.handle(orderCancelled(ticket.id, newId()))).toBe('acked');

  expect(await Ticket.findById(ticket.id)).toMatchObject({ version: 1, orderId: holder });
  expect(await updates()).toEqual([]);
});

it('when a free ticket gets order:cancelled, then it stays free at its version and nothing is published', async () => {
  const { cancelled } = testListeners();
  const ticket = await storeTicket();
  const orderId = newId();

  expect(await cancelled.handle(orderCancelled(ticket.id, orderId))).toBe('acked');
  expect(await cancelled.handle(orderCancelled(ticket.id, orderId))).toBe('acked');

  const stored = await Ticket.findById(ticket.id);
  expect(stored).toMatchObject({ version: 0, orderId: undefined });
  expect(stored!.releasedOrderIds).toEqual([orderId]);
  expect(await updates()).toEqual([]);
});

it('when many orders of one ticket are cancelled, then only the latest few are remembered', async () => {
  const { cancelled } = testListeners();
  const ticket = await storeTicket();
  const orderIds = Array.from({ length: RELEASED_ORDERS_KEPT + 5 }, newId);
  for (const orderId of orderIds) await cancelled.handle(orderCancelled(ticket.id, orderId));

  const stored = await Ticket.findById(ticket.id);
  expect(stored!.releasedOrderIds).toEqual(orderIds.slice(-RELEASED_ORDERS_KEPT));
});

it('when the ticket is unknown, then the event is not acked and nothing is stored', async () => {
  const { cancelled } = testListeners();
  expect(await cancelled.handle(orderCancelled(newId(), newId()))).toBe('retry');
  expect(await Ticket.countDocuments()).toBe(0);
});
