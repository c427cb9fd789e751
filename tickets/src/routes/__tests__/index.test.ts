import request from 'supertest';
import { newId, signinCookie } from '@ticketing/common/testing';
import { listedTickets } from '../../models/listed-tickets';
import { Ticket } from '../../models/ticket';
import { orderCancelled, orderCreated, storeListedTickets, storeTicket, testApp, testListeners } from '../../test/helpers';

const { app } = testApp();

const list = (query = '') => request(app).get(`/api/tickets${query}`);
const titles = (body: { title: string }[]) => body.map((t) => t.title);
const ids = (body: { id: string }[]) => body.map((t) => t.id);

/** Follows the Link headers from the first page to the last; every page must be a 200. */
async function walk(limit: number) {
  const pages: request.Response[] = [];
  let url: string | undefined = `/api/tickets?limit=${limit}`;
  while (url) {
    const res = await request(app).get(url);
    expect(res.status).toBe(200);
    pages.push(res);
    url = res.headers.link ? /^<([^>]+)>; rel="next"$/.exec(res.headers.link)![1] : undefined;
    expect(pages.length).toBeLessThan(100);
  }
  return pages;
}

it('when there are no tickets, then 200 with an empty list and no next page', async () => {
  const res = await list();
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.body).toEqual([]);
  expect(res.headers['x-next-cursor']).toBeUndefined();
  expect(res.headers.link).toBeUndefined();
});

it('when some tickets are reserved, then only the free ones are listed, newest first', async () => {
  const old = await storeTicket({ title: 'old' });
  await storeTicket({ title: 'reserved', orderId: newId(), version: 1 });
  const recent = await storeTicket({ title: 'recent' });
  await listedTickets.load();

  const res = await list();

  expect(res.status).toBe(200);
  expect(res.body).toEqual([
    { id: recent.id, title: 'recent', price: 20, userId: recent.userId, version: 0 },
    { id: old.id, title: 'old', price: 20, userId: old.userId, version: 0 },
  ]);
});

it('when the list is requested, then it is served from memory without a database query', async () => {
  await storeListedTickets(3);
  const find = jest.spyOn(Ticket, 'find');
  const findOne = jest.spyOn(Ticket, 'findOne');
  try {
    const res = await list();
    expect(titles(res.body)).toEqual(['T2', 'T1', 'T0']);
    expect(find).not.toHaveBeenCalled();
    expect(findOne).not.toHaveBeenCalled();
  } finally {
    find.mockRestore();
    findOne.mockRestore();
  }
});

it('when ?limit is given, then only that many newest tickets are listed, with the next page in the headers', async () => {
  const stored = await storeListedTickets(5);
  const res = await list('?limit=2');
  expect(res.status).toBe(200);
  expect(titles(res.body)).toEqual(['T4', 'T3']);
  expect(res.headers['x-next-cursor']).toBe(stored[3].id);
  expect(res.headers.link).toBe(`</api/tickets?limit=2&before=${stored[3].id}>; rel="next"`);
});

it('when there are more than 100 tickets and no limit, then the newest 100 are listed and the link asks for 100', async () => {
  const stored = await storeListedTickets(105);
  const res = await list();
  expect(res.status).toBe(200);
  expect(res.body).toHaveLength(100);
  expect(res.body[0].title).toBe('T104');
  expect(res.body[99].title).toBe('T5');
  expect(res.headers.link).toBe(`</api/tickets?limit=100&before=${stored[5].id}>; rel="next"`);
});

it('when a buyer follows the next links through more than two pages, then every ticket for sale comes once, newest first, and the last page has no link', async () => {
  const stored = await storeListedTickets(250);
  // Every eleventh ticket is held by an order: never listed.
  const reserved = stored.filter((_, i) => i % 11 === 0);
  await Ticket.updateMany({ _id: { $in: reserved.map((t) => t._id) } }, { $set: { orderId: newId() }, $inc: { version: 1 } });
  listedTickets.clear();
  await listedTickets.load();
  const forSale = stored.filter((_, i) => i % 11 !== 0).map((t) => t.id).reverse();

  const pages = await walk(100);

  expect(pages.map((p) => p.body.length)).toEqual([100, 100, forSale.length - 200]);
  const seen = pages.flatMap((p) => ids(p.body));
  expect(seen).toEqual(forSale);
  expect(new Set(seen).size).toBe(seen.length);
  expect(pages[0].headers['x-next-cursor']).toBe(pages[0].body[99].id);
  expect(pages[2].headers['x-next-cursor']).toBeUndefined();
  expect(pages[2].headers.link).toBeUndefined();
});

it('when the number of tickets is a multiple of the limit, then the last full page has no next link', async () => {
  await storeListedTickets(6);
  const pages = await walk(3);
  expect(pages.map((p) => titles(p.body))).toEqual([
    ['T5', 'T4', 'T3'],
    ['T2', 'T1', 'T0'],
  ]);
});

it('when tickets are reserved, freed or listed between two pages, then the next page neither repeats nor skips a ticket it still should show', async () => {
  const stored = await storeListedTickets(9);
  const { created, cancelled } = testListeners();
  const first = await list('?limit=3');
  expect(titles(first.body)).toEqual(['T8', 'T7', 'T6']);

  // The cursor's own ticket (T6) and one of the next page (T4) are reserved; a new ticket is listed.
  await created.handle(orderCreated(stored[6].id));
  const hold = orderCreated(stored[4].id);
  await created.handle(hold);
  const cookie = signinCookie();
  expect((await request(app).post('/api/tickets').set('Cookie', cookie).send({ title: 'New', price: 5 })).status).toBe(201);

  const second = await list(`?limit=3&before=${first.headers['x-next-cursor']}`);
  expect(titles(second.body)).toEqual(['T5', 'T3', 'T2']);

  await cancelled.handle(orderCancelled(stored[4].id, hold.data.id));
  const third = await list(`?limit=3&before=${second.headers['x-next-cursor']}`);
  expect(titles(third.body)).toEqual(['T1', 'T0']);
  expect(third.headers.link).toBeUndefined();
});

it('when a seller lists a ticket, then it is first in the list right after the 201, with no refresh', async () => {
  await storeListedTickets(3);
  const userId = newId();
  const created = await request(app).post('/api/tickets').set('Cookie', signinCookie({ id: userId })).send({ title: 'Mine', price: 12.5 });
  expect(created.status).toBe(201);

  const res = await list();

  expect(res.body[0]).toEqual({ id: created.body.id, title: 'Mine', price: 12.5, userId, version: 0 });
  expect(titles(res.body)).toEqual(['Mine', 'T2', 'T1', 'T0']);
});

it('when the seller edits a ticket, then the list shows the edit right after the 200', async () => {
  const userId = newId();
  const [ticket] = await storeListedTickets(1, { userId });
  const res = await request(app)
    .put(`/api/tickets/${ticket.id}`)
    .set('Cookie', signinCookie({ id: userId }))
    .send({ title: 'Moved', price: 30 });
  expect(res.status).toBe(200);

  expect((await list()).body).toEqual([{ id: ticket.id, title: 'Moved', price: 30, userId, version: 1 }]);
});

it('when this replica reserves a ticket for an order and the order is cancelled, then it leaves the list and comes back at once', async () => {
  const [ticket, other] = await storeListedTickets(2);
  const { created, cancelled } = testListeners();
  const event = orderCreated(ticket.id);

  expect(await created.handle(event)).toBe('acked');
  expect(ids((await list()).body)).toEqual([other.id]);

  expect(await cancelled.handle(orderCancelled(ticket.id, event.data.id))).toBe('acked');
  expect((await list()).body).toEqual([
    { id: other.id, title: 'T1', price: 10, userId: other.userId, version: 0 },
    { id: ticket.id, title: 'T0', price: 10, userId: ticket.userId, version: 2 },
  ]);
});

it('when another replica frees a reserved ticket, then it is listed again after the next refresh', async () => {
  const ticket = await storeTicket({ orderId: newId(), version: 1 });
  await listedTickets.load();
  expect((await list()).body).toEqual([]);

  await Ticket.updateOne({ _id: ticket._id }, { $unset: { orderId: '' }, $inc: { version: 1 } });
  expect((await list()).body).toEqual([]);
  await listedTickets.refresh();

  expect((await list()).body).toEqual([{ id: ticket.id, title: 'Concert', price: 20, userId: ticket.userId, version: 2 }]);
});

it.each([
  ['0', 1],
  ['-7', 1],
  ['1000', 100],
  ['99999999999999999999999', 100],
])('when ?limit=%s is a whole number out of range, then it is clamped to %i', async (limit, expected) => {
  await storeListedTickets(101);
  const res = await list(`?limit=${limit}`);
  expect(res.status).toBe(200);
  expect(res.body).toHaveLength(expected);
  expect(res.headers.link).toContain(`limit=${expected}&`);
});

it.each(['abc', '1.5', '', '1e2', '2&limit=3', '%24gt'])('when ?limit=%s is not a whole number, then 400 on limit', async (limit) => {
  const res = await list(`?limit=${limit}`);
  expect(res.status).toBe(400);
  expect(res.body).toEqual({ errors: [{ message: 'Limit must be a whole number', field: 'limit' }] });
});

it.each([
  ['text', 'abc'],
  ['empty', ''],
  ['too short', 'a'.repeat(23)],
  ['not hex', 'z'.repeat(24)],
  ['upper case', 'A'.repeat(24)],
  ['repeated', `${'a'.repeat(24)}&before=${'b'.repeat(24)}`],
  ['an operator', '%7B%22%24gt%22%3A%22%22%7D'],
])('when ?before is %s, then 400 on before', async (_case, before) => {
  await storeListedTickets(2);
  const res = await list(`?before=${before}`);
  expect(res.status).toBe(400);
  expect(res.body).toEqual({ errors: [{ message: 'Before must be a cursor from X-Next-Cursor', field: 'before' }] });
});

it('when both limit and before are bad, then one error each', async () => {
  const res = await list('?limit=x&before=y');
  expect(res.status).toBe(400);
  expect(res.body.errors).toEqual([
    { message: 'Limit must be a whole number', field: 'limit' },
    { message: 'Before must be a cursor from X-Next-Cursor', field: 'before' },
  ]);
});

it('when the cursor is older than every ticket, then 200 with an empty page', async () => {
  await storeListedTickets(2);
  const res = await list(`?before=${'0'.repeat(24)}`);
  expect(res.status).toBe(200);
  expect(res.body).toEqual([]);
  expect(res.headers.link).toBeUndefined();
});
