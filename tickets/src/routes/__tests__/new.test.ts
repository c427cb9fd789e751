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
  ['below a cent', { title: 'Concert', price: 0.004 }],
])('when the price is %s, then 400 price "Price must be greater than 0"', async (_case, body) => {
  const res = await post(body);
  expect(res.status).toBe(400);
  expect(res.body).toEqual({ errors: [{ message: 'Price must be greater than 0', field: 'price' }] });
  expect(await Ticket.countDocuments()).toBe(0);
});

it('when the price is above the maximum, then 400 on price', async () => {
  const res = await post({ title: 'Concert', price: 1_000_000.01 });
  expect(res.status).toBe(400);
  expect(res.body.errors).toEqual([{ message: 'Price must be at most 1000000', field: 'price' }]);
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

it('when the price is a decimal string with sub-cent digits, then it is stored as a number rounded to cents', async () => {
  const res = await post({ title: 'Concert', price: '10.126' });
  expect(res.status).toBe(201);
  expect(res.body.price).toBe(10.13);
  expect((await Ticket.findById(res.body.id))!.price).toBe(10.13);
});
