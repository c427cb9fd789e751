import request from 'supertest';
import { Subjects, TicketUpdatedEvent } from '@ticketing/common';
import { flushOutbox, newId, signinCookie } from '@ticketing/common/testing';
import { Ticket } from '../../models/ticket';
import { storeTicket, testApp } from '../../test/helpers';

const { app } = testApp();

const put = (id: string, body: unknown, cookie: string[] | null) => {
  const req = request(app).put(`/api/tickets/${id}`);
  if (cookie) req.set('Cookie', cookie);
  return req.send(body as object);
};

/** A stored ticket and its seller's cookie. */
async function ownTicket(fields: Parameters<typeof storeTicket>[0] = {}) {
  const userId = newId();
  const ticket = await storeTicket({ userId, ...fields });
  return { ticket, cookie: signinCookie({ id: userId }) };
}

async function expectUnchanged(id: string, version = 0) {
  const stored = await Ticket.findById(id);
  expect(stored).toMatchObject({ title: 'Concert', price: 20, version });
  expect((await flushOutbox([Ticket])).allEnvelopes()).toEqual([]);
}

it('when signed out, then 401 and the ticket is unchanged', async () => {
  const { ticket } = await ownTicket();
  const res = await put(ticket.id, { title: 'New', price: 30 }, null);
  expect(res.status).toBe(401);
  expect(res.body).toEqual({ errors: [{ message: 'Not authorized' }] });
  await expectUnchanged(ticket.id);
});

it('when the fields are bad, then 400 per field, before looking the ticket up', async () => {
  const { ticket, cookie } = await ownTicket();
  const res = await put(ticket.id, { title: '', price: -5 }, cookie);
  expect(res.status).toBe(400);
  expect(res.body.errors).toEqual([
    { message: 'Title is required', field: 'title' },
    { message: 'Price must be greater than 0', field: 'price' },
  ]);
  // Fields come before the id: a malformed id with a bad body is still a 400.
  expect((await put('nope', { title: 'x' }, cookie)).status).toBe(400);
  await expectUnchanged(ticket.id);
});

it.each([
  [0.49, 'Price must be at least 0.50'],
  [1_000_000, 'Price must be at most 999999.99'],
  [35.555, 'Price must have at most 2 decimals'],
])('when the new price is %p, then 400 price "%s" and the ticket is unchanged', async (price, message) => {
  const { ticket, cookie } = await ownTicket();
  const res = await put(ticket.id, { title: 'New', price }, cookie);
  expect(res.status).toBe(400);
  expect(res.body).toEqual({ errors: [{ message, field: 'price' }] });
  await expectUnchanged(ticket.id);
});

it('when the new price is a bound, then 200 and it is stored', async () => {
  const { ticket, cookie } = await ownTicket();
  expect((await put(ticket.id, { title: 'New', price: 999_999.99 }, cookie)).body.price).toBe(999_999.99);
  expect((await put(ticket.id, { title: 'New', price: '0.50' }, cookie)).body.price).toBe(0.5);
  expect(await Ticket.findById(ticket.id)).toMatchObject({ price: 0.5, version: 2 });
});

it('when a field is a query operator object, then 400 and the ticket is unchanged', async () => {
  const { ticket, cookie } = await ownTicket();
  const res = await put(ticket.id, { title: 'New', price: { $gt: 0 } }, cookie);
  expect(res.status).toBe(400);
  expect(res.body.errors).toEqual([{ message: 'Invalid input', field: 'price' }]);
  await expectUnchanged(ticket.id);
});

it('when no ticket has the id, then 404', async () => {
  const res = await put(newId(), { title: 'New', price: 30 }, signinCookie());
  expect(res.status).toBe(404);
  expect(res.body).toEqual({ errors: [{ message: 'Not Found' }] });
});

it('when the id is malformed, then 404', async () => {
  const res = await put('not-an-object-id', { title: 'New', price: 30 }, signinCookie());
  expect(res.status).toBe(404);
  expect(res.body).toEqual({ errors: [{ message: 'Not Found' }] });
});

it('when a stranger edits the ticket, then 401 and it is unchanged', async () => {
  const { ticket } = await ownTicket();
  const res = await put(ticket.id, { title: 'Mine now', price: 1 }, signinCookie());
  expect(res.status).toBe(401);
  expect(res.body).toEqual({ errors: [{ message: 'Not authorized' }] });
  await expectUnchanged(ticket.id);
});

it('when a stranger edits a reserved ticket, then 401: the owner check comes first', async () => {
  const { ticket } = await ownTicket({ orderId: newId(), version: 1 });
  const res = await put(ticket.id, { title: 'Mine now', price: 1 }, signinCookie());
  expect(res.status).toBe(401);
});

it('when the owner edits a reserved ticket, then 400 "Cannot edit a reserved ticket" and it is unchanged', async () => {
  const orderId = newId();
  const { ticket, cookie } = await ownTicket({ orderId, version: 1 });
  const res = await put(ticket.id, { title: 'New', price: 30 }, cookie);
  expect(res.status).toBe(400);
  expect(res.body).toEqual({ errors: [{ message: 'Cannot edit a reserved ticket' }] });
  await expectUnchanged(ticket.id, 1);
  expect((await Ticket.findById(ticket.id))!.orderId).toBe(orderId);
});

it('when the owner edits the ticket, then 200 with version+1, it is stored, and ticket:updated is in its outbox', async () => {
  const { ticket, cookie } = await ownTicket();
  const res = await put(ticket.id, { title: 'Concert (moved)', price: 35.5 }, cookie).set('x-request-id', 'req-put-1');

  expect(res.status).toBe(200);
  expect(res.body).toEqual({ id: ticket.id, title: 'Concert (moved)', price: 35.5, userId: ticket.userId, version: 1 });
  expect(await Ticket.findById(ticket.id)).toMatchObject({ title: 'Concert (moved)', price: 35.5, version: 1 });

  const bus = await flushOutbox([Ticket]);
  const envelopes = bus.envelopes<TicketUpdatedEvent>(Subjects.TicketUpdated);
  expect(envelopes.map((e) => e.data)).toEqual([
    { id: ticket.id, version: 1, title: 'Concert (moved)', price: 35.5, userId: ticket.userId },
  ]);
  expect(envelopes[0].meta).toMatchObject({ requestId: 'req-put-1', source: 'tickets' });
  expect(bus.allEnvelopes()).toHaveLength(1);
});

it('when the body also names the seller, the version or an order, then those are ignored', async () => {
  const { ticket, cookie } = await ownTicket();
  const res = await put(ticket.id, { title: 'New', price: 30, userId: newId(), version: 41, orderId: newId() }, cookie);
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ id: ticket.id, title: 'New', price: 30, userId: ticket.userId, version: 1 });
  expect((await Ticket.findById(ticket.id))!.orderId).toBeUndefined();
});

it('when the owner sends N edits at once, then versions 1..N are each given once and no edit is lost', async () => {
  const n = 12;
  const { ticket, cookie } = await ownTicket();

  const responses = await Promise.all(
    Array.from({ length: n }, (_, i) => put(ticket.id, { title: `Edit ${i}`, price: 10 + i }, cookie)),
  );

  expect(responses.map((r) => r.status)).toEqual(Array(n).fill(200));
  const versions = responses.map((r) => r.body.version).sort((a, b) => a - b);
  expect(versions).toEqual(Array.from({ length: n }, (_, i) => i + 1));

  const stored = await Ticket.findById(ticket.id);
  const last = responses.find((r) => r.body.version === n)!.body;
  expect(stored).toMatchObject({ version: n, title: last.title, price: last.price });

  const events = (await flushOutbox([Ticket])).events<TicketUpdatedEvent>(Subjects.TicketUpdated);
  expect(events.map((e) => e.version).sort((a, b) => a - b)).toEqual(versions);
  // Each event carries exactly what its response said was stored at that version.
  for (const r of responses) {
    expect(events.find((e) => e.version === r.body.version)).toMatchObject({ title: r.body.title, price: r.body.price });
  }
});
