import request from 'supertest';
import { Types } from 'mongoose';
import { Order } from '../../models/order';
import { buyer, placeOrder, testApp } from '../../test/helpers';

describe('GET /api/orders', () => {
  it('when not signed in, then 401', async () => {
    const res = await request(testApp().app).get('/api/orders').expect(401);
    expect(res.body).toEqual({ errors: [{ message: 'Not authorized' }] });
  });

  it('when the user has no orders, then an empty list', async () => {
    const { app } = testApp();
    await placeOrder(app);
    const res = await request(app).get('/api/orders').set('Cookie', buyer().cookie).expect(200);
    expect(res.body).toEqual([]);
  });

  it("when several users have orders, then only the user's own, newest first, each with its ticket and no internal fields", async () => {
    const { app } = testApp();
    const me = buyer();
    const first = await placeOrder(app, me);
    await placeOrder(app); // someone else's
    const second = await placeOrder(app, me);

    const res = await request(app).get('/api/orders').set('Cookie', me.cookie).expect(200);

    expect(res.body.map((o: { id: string }) => o.id)).toEqual([second.orderId, first.orderId]);
    expect(res.body[0]).toEqual(second.order);
    expect(res.body[1].ticket).toEqual({ id: first.ticket.id, title: 'Concert', price: 20, version: 0 });
    for (const o of res.body) expect(Object.keys(o).sort()).toEqual(['expiresAt', 'id', 'status', 'ticket', 'userId', 'version']);
    expect(res.headers['x-next-cursor']).toBeUndefined();
    expect(res.headers.link).toBeUndefined();
  });
});

/** `n` orders of one user straight into the collection, oldest first; returns their ids newest first. */
async function storeOrders(userId: string, n: number): Promise<string[]> {
  const docs = Array.from({ length: n }, (_, i) => {
    // Increasing ids (time, then the process's counter), as orders placed one after the other get.
    const _id = new Types.ObjectId();
    const ticketId = new Types.ObjectId().toHexString();
    return {
      _id,
      userId,
      status: 'created',
      expiresAt: new Date(Date.now() + 900_000),
      ticket: { id: ticketId, title: `T${i}`, price: 10, version: 0 },
      ticketLock: ticketId,
      version: 0,
      outbox: [],
    };
  });
  await Order.insertMany(docs);
  return docs.map((d) => d._id.toHexString()).reverse();
}

const list = (app: ReturnType<typeof testApp>['app'], cookie: string[], query = '') =>
  request(app).get(`/api/orders${query}`).set('Cookie', cookie);

describe('GET /api/orders pages', () => {
  it('when the user has more than 100 orders, then the first page has the newest 100, X-Next-Cursor and a Link to the next page, which has the rest and no cursor', async () => {
    const { app } = testApp();
    const me = buyer();
    const ids = await storeOrders(me.id, 103);

    const page1 = await list(app, me.cookie).expect(200);
    expect(page1.body.map((o: { id: string }) => o.id)).toEqual(ids.slice(0, 100));
    expect(page1.headers['x-next-cursor']).toBe(ids[99]);
    expect(page1.headers.link).toBe(`</api/orders?limit=100&before=${ids[99]}>; rel="next"`);

    const page2 = await list(app, me.cookie, `?before=${page1.headers['x-next-cursor']}`).expect(200);
    expect(page2.body.map((o: { id: string }) => o.id)).toEqual(ids.slice(100));
    expect(page2.headers['x-next-cursor']).toBeUndefined();
    expect(page2.headers.link).toBeUndefined();
  });

  it('when the client follows Link with limit=2, then it walks every own order once, newest first, and never sees another user\'s', async () => {
    const { app } = testApp();
    const me = buyer();
    const ids = await storeOrders(me.id, 5);
    await storeOrders(buyer().id, 3);

    const seen: string[][] = [];
    let next: string | undefined = '/api/orders?limit=2';
    while (next) {
      const res: request.Response = await request(app).get(next).set('Cookie', me.cookie).expect(200);
      seen.push(res.body.map((o: { id: string }) => o.id));
      next = res.headers.link?.match(/^<([^>]+)>; rel="next"$/)?.[1];
    }
    expect(seen).toEqual([ids.slice(0, 2), ids.slice(2, 4), ids.slice(4)]);
  });

  it('when the last page is exactly full, then it has no next cursor; a smaller limit pages it', async () => {
    const { app } = testApp();
    const me = buyer();
    const ids = await storeOrders(me.id, 3);

    const all = await list(app, me.cookie, '?limit=3').expect(200);
    expect(all.body.map((o: { id: string }) => o.id)).toEqual(ids);
    expect(all.headers['x-next-cursor']).toBeUndefined();

    const first = await list(app, me.cookie, '?limit=2').expect(200);
    expect(first.body.map((o: { id: string }) => o.id)).toEqual(ids.slice(0, 2));
    const last = await list(app, me.cookie, `?limit=2&before=${first.headers['x-next-cursor']}`).expect(200);
    expect(last.body.map((o: { id: string }) => o.id)).toEqual(ids.slice(2));
    expect(last.headers['x-next-cursor']).toBeUndefined();
  });

  it.each([['0'], ['101'], ['-1'], ['1.5'], ['ten'], [''], ['1&limit=2']])('when limit is %p, then 400 on the field "limit"', async (limit) => {
    const res = await list(testApp().app, buyer().cookie, `?limit=${limit}`).expect(400);
    expect(res.body).toEqual({ errors: [{ message: 'Limit must be a whole number from 1 to 100', field: 'limit' }] });
  });

  it.each([['not-a-cursor'], ['zzzzzzzzzzzzzzzzzzzzzzzz'], [''], [`${'a'.repeat(24)}&before=${'b'.repeat(24)}`]])(
    'when the cursor is %p, then 400 on the field "before"',
    async (before) => {
      const res = await list(testApp().app, buyer().cookie, `?before=${before}`).expect(400);
      expect(res.body).toEqual({ errors: [{ message: 'Cursor is not valid', field: 'before' }] });
    },
  );

  it('when the list is asked for, then real MongoDB has the {userId, _id} index to serve it', async () => {
    const keys = (await Order.collection.indexes()).map((i) => i.key);
    expect(keys).toContainEqual({ userId: 1, _id: -1 });
  });
});
