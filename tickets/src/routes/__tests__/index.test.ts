import request from 'supertest';
import { newId } from '@ticketing/common/testing';
import { Ticket } from '../../models/ticket';
import { storeTicket, testApp } from '../../test/helpers';

const { app } = testApp();

/** `count` free tickets titled "T0".."T<count-1>", each created a millisecond after the previous one. */
async function storeTicketsInOrder(count: number) {
  const start = Date.now() - count;
  await Ticket.insertMany(
    Array.from({ length: count }, (_, i) => ({
      title: `T${i}`,
      price: 10,
      userId: newId(),
      version: 0,
      createdAt: new Date(start + i),
    })),
  );
}

const titles = (body: { title: string }[]) => body.map((t) => t.title);

it('when there are no tickets, then 200 with an empty list', async () => {
  const res = await request(app).get('/api/tickets');
  expect(res.status).toBe(200);
  expect(res.body).toEqual([]);
});

it('when some tickets are reserved, then only the free ones are listed, newest first', async () => {
  const old = await storeTicket({ title: 'old', createdAt: new Date(Date.now() - 3000) });
  await storeTicket({ title: 'reserved', orderId: newId(), version: 1, createdAt: new Date(Date.now() - 2000) });
  const recent = await storeTicket({ title: 'recent', createdAt: new Date(Date.now() - 1000) });

  const res = await request(app).get('/api/tickets');

  expect(res.status).toBe(200);
  expect(res.body).toEqual([
    { id: recent.id, title: 'recent', price: 20, userId: recent.userId, version: 0 },
    { id: old.id, title: 'old', price: 20, userId: old.userId, version: 0 },
  ]);
});

it('when a reserved ticket is freed again, then it is listed again', async () => {
  const ticket = await storeTicket({ orderId: newId(), version: 1 });
  expect(await request(app).get('/api/tickets').then((r) => r.body)).toEqual([]);
  await Ticket.updateOne({ _id: ticket._id }, { $unset: { orderId: '' }, $inc: { version: 1 } });
  expect(titles((await request(app).get('/api/tickets')).body)).toEqual(['Concert']);
});

it('when ?limit is given, then only that many newest tickets are listed', async () => {
  await storeTicketsInOrder(5);
  const res = await request(app).get('/api/tickets?limit=2');
  expect(res.status).toBe(200);
  expect(titles(res.body)).toEqual(['T4', 'T3']);
});

it('when there are more than 100 tickets and no limit, then the newest 100 are listed', async () => {
  await storeTicketsInOrder(105);
  const res = await request(app).get('/api/tickets');
  expect(res.status).toBe(200);
  expect(res.body).toHaveLength(100);
  expect(res.body[0].title).toBe('T104');
  expect(res.body[99].title).toBe('T5');
});

it.each([
  ['0', 1],
  ['-7', 1],
  ['1000', 100],
  ['99999999999999999999999', 100],
])('when ?limit=%s is a whole number out of range, then it is clamped to %i', async (limit, expected) => {
  await storeTicketsInOrder(101);
  const res = await request(app).get(`/api/tickets?limit=${limit}`);
  expect(res.status).toBe(200);
  expect(res.body).toHaveLength(expected);
});

it.each(['abc', '1.5', '', '1e2', '2&limit=3', '%24gt'])('when ?limit=%s is not a whole number, then 400 on limit', async (limit) => {
  const res = await request(app).get(`/api/tickets?limit=${limit}`);
  expect(res.status).toBe(400);
  expect(res.body).toEqual({ errors: [{ message: 'Limit must be a whole number', field: 'limit' }] });
});
