import request from 'supertest';
import { newId } from '@ticketing/common/testing';
import { storeTicket, testApp } from '../../test/helpers';

const { app } = testApp();

it('when the ticket exists, then 200 with its public fields only, signed in or not', async () => {
  const ticket = await storeTicket({ title: 'Opera', price: 45 });
  const res = await request(app).get(`/api/tickets/${ticket.id}`);
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ id: ticket.id, title: 'Opera', price: 45, userId: ticket.userId, version: 0 });
});

it('when the ticket is reserved, then its orderId is included', async () => {
  const orderId = newId();
  const ticket = await storeTicket({ orderId, version: 1, releasedOrderIds: [newId()] });
  const res = await request(app).get(`/api/tickets/${ticket.id}`);
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ id: ticket.id, title: 'Concert', price: 20, userId: ticket.userId, version: 1, orderId });
});

it('when no ticket has the id, then 404 Not Found', async () => {
  await storeTicket();
  const res = await request(app).get(`/api/tickets/${newId()}`);
  expect(res.status).toBe(404);
  expect(res.body).toEqual({ errors: [{ message: 'Not Found' }] });
});

it.each(['not-an-id', '123', 'zzzzzzzzzzzzzzzzzzzzzzzz', '%24gt'])('when the id is malformed (%s), then 404 Not Found', async (id) => {
  const res = await request(app).get(`/api/tickets/${id}`);
  expect(res.status).toBe(404);
  expect(res.body).toEqual({ errors: [{ message: 'Not Found' }] });
});
