import request from 'supertest';
import { Subjects, TicketCreatedEvent } from '@ticketing/common';
import { flushOutbox, newId, signinCookie } from '@ticketing/common/testing';
import { Ticket } from '../../models/ticket';
import { testApp } from '../../test/helpers';

const { app, lines } = testApp();
const post = (body: unknown, cookie: string[] | null = signinCookie()) => {
  const req = request(app).post('/api/tickets');
  if (cookie) req.set('Cookie', cookie);
  return req.send(body as object);
};

it('when signed out, then 401 Not authorized and nothing is stored', async () => {
  const res = await post({ title: 'Concert', price: 20 }, null);
  expect(res.status).toBe(401);
  expect(res.body).toEqual({ errors: [{ message: 'Not authorized' }] });
  expect(await Ticket.countDocuments()).toBe(0);
});

it('when the session cookie is signed with another key, then 401', async () => {
  const res = await post({ title: 'Concert', price: 20 }, signinCookie({}, 'another-key-of-32-characters-xx'));
  expect(res.status).toBe(401);
});

it.each([
  ['missing', { price: 20 }],
  ['blank', { title: '   ', price: 20 }],
  ['a number', { title: 42, price: 20 }],
  ['an array', { title: ['Concert'], price: 20 }],
])('when the title is %s, then 400 title "Title is required"', async (_case, body) => {
  const res = await post(body);
  expect(res.status).toBe(400);
  expect(res.body).toEqual({ errors: [{ message: 'Title is required', field: 'title' }] });
  expect(await Ticket.countDocuments()).toBe(0);
});

it('when the title is too long, then 400 on title', async () => {
  const res = await post({ title: 'x'.repeat(201), price: 20 });
  expect(res.status).toBe(400);
  expect(res.body.errors).toEqual([{ message: 'Title must be at most 200 characters', field: 'title' }]);
});

it.each([
  ['missing', { title: 'Concert' }],
  ['zero', { title: 'Concert', price: 0 }],
  ['negative', { title: 'Concert', price: -10 }],
  ['text', { title: 'Concert', price: 'ten' }],
  ['a hex string', { title: 'Concert', price: '0x10' }],
  ['an array', { title: 'Concert', price: [10] }],
  ['null', { title: 'Concert', price: null }],
  ['an exponent string', { title: 'Concert', price: '1e3' }],
])('when the price is %s, then 400 price "Price must be greater than 0"', async (_case, body) => {
  const res = await post(body);
  expect(res.status).toBe(400);
  expect(res.body).toEqual({ errors: [{ message: 'Price must be greater than 0', field: 'price' }] });
  expect(await Ticket.countDocuments()).toBe(0);
});

it.each([
  ['below 0.50', 0.49, 'Price must be at least 0.50'],
  ['below a cent', 0.004, 'Price must be at least 0.50'],
  ['a decimal string below 0.50', '0.1', 'Price must be at least 0.50'],
  ['above 999,999.99', 1_000_000, 'Price must be at most 999999.99'],
  ['just above 999,999.99', 999_999.991, 'Price must be at most 999999.99'],
  ['huge', 1e21, 'Price must be at most 999999.99'],
  ['three decimals', 10.126, 'Price must have at most 2 decimals'],
  ['a string with three decimals', '10.126', 'Price must have at most 2 decimals'],
  ['a sub-cent amount above the minimum', 0.505, 'Price must have at most 2 decimals'],
  ['a float sum off by a rounding error', 1.1 + 2.2, 'Price must have at most 2 decimals'],
])('when the price is %s (%p), then 400 price "%s" and nothing is stored', async (_case, price, message) => {
  const res = await post({ title: 'Concert', price });
  expect(res.status).toBe(400);
  expect(res.body).toEqual({ errors: [{ message, field: 'price' }] });
  expect(await Ticket.countDocuments()).toBe(0);
  expect((await flushOutbox([Ticket])).allEnvelopes()).toEqual([]);
});

it.each([
  [0.5, 0.5],
  ['0.50', 0.5],
  [999_999.99, 999_999.99],
  ['999999.99', 999_999.99],
  [10.1, 10.1],
  ['10.10', 10.1],
  [' 7 ', 7],
])('when the price is %p, at a bound or to the cent, then 201 and it is stored as the number %p', async (price, stored) => {
  const res = await post({ title: 'Concert', price });
  expect(res.status).toBe(201);
  expect(res.body.price).toBe(stored);
  expect((await Ticket.findById(res.body.id))!.price).toBe(stored);
});

it('when both fields are bad, then one error per field', async () => {
  const res = await post({ title: '', price: -1 });
  expect(res.status).toBe(400);
  expect(res.body.errors).toEqual([
    { message: 'Title is required', field: 'title' },
    { message: 'Price must be greater than 0', field: 'price' },
  ]);
});

it('when a field is a query operator object, then 400 and nothing is stored', async () => {
  const res = await post({ title: { $gt: '' }, price: 20 });
  expect(res.status).toBe(400);
  expect(res.body.errors).toEqual([{ message: 'Invalid input', field: 'title' }]);
  expect(await Ticket.countDocuments()).toBe(0);
});

it('when the body is not JSON, then 400 in the error shape', async () => {
  const res = await request(app)
    .post('/api/tickets')
    .set('Cookie', signinCookie())
    .set('Content-Type', 'application/json')
    .send('{"title": ');
  expect(res.status).toBe(400);
  expect(res.body.errors).toEqual([{ message: 'Malformed JSON body' }]);
});

it('when the input is valid, then 201 with the ticket, it is stored, and ticket:created is in its outbox', async () => {
  const userId = newId();
  const res = await post({ title: '  Concert  ', price: 20.5 }, signinCookie({ id: userId })).set('x-request-id', 'req-new-1');

  expect(res.status).toBe(201);
  expect(res.body).toEqual({ id: expect.any(String), title: 'Concert', price: 20.5, userId, version: 0 });

  const stored = await Ticket.findById(res.body.id);
  expect(stored).toMatchObject({ title: 'Concert', price: 20.5, userId, version: 0 });
  expect(stored!.orderId).toBeUndefined();

  const bus = await flushOutbox([Ticket]);
  const [envelope, ...more] = bus.envelopes<TicketCreatedEvent>(Subjects.TicketCreated);
  expect(more).toEqual([]);
  expect(envelope.data).toEqual({ id: res.body.id, version: 0, title: 'Concert', price: 20.5, userId });
  expect(envelope.meta).toMatchObject({ requestId: 'req-new-1', source: 'tickets' });
  expect(bus.allEnvelopes()).toHaveLength(1);
  // One request id ties the request log to the event it caused.
  expect(lines).toContainEqual(expect.objectContaining({ msg: 'request', reqId: 'req-new-1', status: 201 }));
});

it('when the body names another seller or a version, then the ticket is still the signed-in user\'s, at version 0', async () => {
  const userId = newId();
  const res = await post({ title: 'Concert', price: 20, userId: newId(), version: 7, orderId: newId() }, signinCookie({ id: userId }));
  expect(res.status).toBe(201);
  expect(res.body).toEqual({ id: expect.any(String), title: 'Concert', price: 20, userId, version: 0 });
  expect((await Ticket.findById(res.body.id))!.orderId).toBeUndefined();
});

