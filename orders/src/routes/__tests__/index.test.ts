import request from 'supertest';
import { Types } from 'mongoose';
import { captureLogger, newId } from '@ticketing/common/testing';
import { cancelOrder, completeOrder, Order } from '../../models/order';
import { BACKFILL_MARKER_ID, backfillUserOrders, recordUserOrder, UserOrders } from '../../models/user-orders';
import { buyer, createTicket, DbOp, opsOf, placeOrder, testApp } from '../../test/helpers';

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

/**
 * `n` orders of one user straight into the collection, oldest first, as stored before the
 * user-order index existed, then indexed as the service's start does; returns their ids newest first.
 */
async function storeOrders(userId: string, n: number, { backfill = true } = {}): Promise<string[]> {
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
  if (backfill) {
    await UserOrders.deleteOne({ _id: BACKFILL_MARKER_ID });
    await backfillUserOrders();
  }
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

const idsOf = (res: request.Response) => res.body.map((o: { id: string }) => o.id);
const storedIndex = async (userId: string) => (await UserOrders.findById(userId).lean())?.orderIds.slice().sort();

describe('GET /api/orders from the user-order index', () => {
  it('when a user places several orders, then each id is in their index document and the list has them all, newest first, as POST answered them', async () => {
    const { app } = testApp();
    const me = buyer();
    const placed = [];
    for (let i = 0; i < 3; i++) placed.push(await placeOrder(app, me));

    expect(await storedIndex(me.id)).toEqual(placed.map((p) => p.orderId).sort());
    const res = await list(app, me.cookie).expect(200);
    expect(res.body).toEqual(placed.map((p) => p.order).reverse());
    expect(res.headers['x-next-cursor']).toBeUndefined();
  });

  it('when placed orders are paged with limit=2, then each page follows the last and only the last page has no cursor', async () => {
    const { app } = testApp();
    const me = buyer();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.unshift((await placeOrder(app, me)).orderId);

    const p1 = await list(app, me.cookie, '?limit=2').expect(200);
    expect(idsOf(p1)).toEqual(ids.slice(0, 2));
    expect(p1.headers.link).toBe(`</api/orders?limit=2&before=${ids[1]}>; rel="next"`);
    const p2 = await list(app, me.cookie, `?limit=2&before=${p1.headers['x-next-cursor']}`).expect(200);
    expect(idsOf(p2)).toEqual(ids.slice(2, 4));
    const p3 = await list(app, me.cookie, `?limit=2&before=${p2.headers['x-next-cursor']}`).expect(200);
    expect(idsOf(p3)).toEqual(ids.slice(4));
    expect(p3.headers['x-next-cursor']).toBeUndefined();
    expect(p3.headers.link).toBeUndefined();
  });

  it("when another user's order id is in the user's index document, then the list still never shows it", async () => {
    const { app } = testApp();
    const me = buyer();
    const mine = await placeOrder(app, me);
    const theirs = await placeOrder(app);
    await recordUserOrder(me.id, theirs.orderId);

    const res = await list(app, me.cookie).expect(200);

    expect(idsOf(res)).toEqual([mine.orderId]);
    expect(await storedIndex(theirs.who.id)).toEqual([theirs.orderId]);
  });

  it('when a reservation is refused after its id was pushed, then the list skips the id and leaves it while it is recent', async () => {
    const { app } = testApp();
    const me = buyer();
    const held = await placeOrder(app);
    const mine = await placeOrder(app, me);
    await request(app).post('/api/orders').set('Cookie', me.cookie).send({ ticketId: held.ticket.id }).expect(400);
    const index = await storedIndex(me.id);
    expect(index).toHaveLength(2);
    const refusedId = index!.find((id) => id !== mine.orderId)!;
    expect(await Order.findById(refusedId)).toBeNull();

    const res = await list(app, me.cookie).expect(200);

    expect(idsOf(res)).toEqual([mine.orderId]);
    // Recent: an insert under it might still be in flight, so it is not pulled yet.
    expect(await storedIndex(me.id)).toEqual(index);
  });

  it('when an id whose order insert failed is older than a minute, then the list skips it, pulls it, and still pages exactly', async () => {
    const { app } = testApp();
    const me = buyer();
    const older = await placeOrder(app, me);
    const newer = await placeOrder(app, me);
    // Pushed, then the process died before the insert: ids older and newer than the orders.
    const lostOld = Types.ObjectId.createFromTime(Math.floor(Date.now() / 1000) - 120).toHexString();
    const lostNew = new Types.ObjectId(Math.floor(Date.now() / 1000) + 3600).toHexString();
    await recordUserOrder(me.id, lostOld);
    await recordUserOrder(me.id, lostNew);

    const p1 = await list(app, me.cookie, '?limit=1').expect(200);
    expect(idsOf(p1)).toEqual([newer.orderId]);
    expect(p1.headers['x-next-cursor']).toBe(newer.orderId);
    const p2 = await list(app, me.cookie, `?limit=1&before=${newer.orderId}`).expect(200);
    expect(idsOf(p2)).toEqual([older.orderId]);
    // Only lostOld is left after older: no order after it, so no next page.
    expect(p2.headers['x-next-cursor']).toBeUndefined();

    expect(await storedIndex(me.id)).toEqual([older.orderId, newer.orderId, lostNew].sort());
  });

  it('when orders were stored before the index existed, then the start-up backfill indexes them once, next to orders placed since, and logs it', async () => {
    const { app } = testApp();
    const me = buyer();
    const legacy = await storeOrders(me.id, 3, { backfill: false });
    const otherLegacy = await storeOrders(newId(), 2, { backfill: false });
    const placed = await placeOrder(app, me); // its own push: the document exists, without the legacy ids
    expect(idsOf(await list(app, me.cookie).expect(200))).toEqual([placed.orderId]);

    const { logger, lines } = captureLogger();
    expect(await backfillUserOrders(logger)).toBe(6);

    expect(idsOf(await list(app, me.cookie).expect(200))).toEqual([placed.orderId, ...legacy]);
    expect(await storedIndex(me.id)).toEqual([placed.orderId, ...legacy].sort());
    expect((await UserOrders.findById(BACKFILL_MARKER_ID).lean())?.backfilledAt).toBeInstanceOf(Date);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'user order index backfilled', orders: 6, users: 2 }));
    expect(otherLegacy).toHaveLength(2);
    // Done once per database: the next start does not read the orders again.
    expect(await backfillUserOrders(logger)).toBeUndefined();
  });

  it('when the push of the order id fails, then the order is not inserted (no order without its index entry)', async () => {
    const { app } = testApp();
    const me = buyer();
    const ticket = await createTicket();
    const spy = jest.spyOn(UserOrders.collection, 'updateOne').mockRejectedValueOnce(new Error('boom'));
    try {
      await request(app).post('/api/orders').set('Cookie', me.cookie).send({ ticketId: ticket.id }).expect(500);
    } finally {
      spy.mockRestore();
    }
    expect(await Order.findOne({ 'ticket.id': ticket.id })).toBeNull();
  });
});

describe('GET /api/orders from complete orders kept in memory', () => {
  const onOrders = (ops: DbOp[]) => ops.filter((op) => op.collection === 'orders');

  it('when every order on the page was completed by this process, then the list reads only the user index, and shows them as GET /:id does', async () => {
    const { app } = testApp();
    const me = buyer();
    const first = await placeOrder(app, me);
    const second = await placeOrder(app, me);
    await completeOrder(first.orderId, newId());
    await completeOrder(second.orderId, newId());

    let res: request.Response | undefined;
    const ops = await opsOf(async () => {
      res = await request(app).get('/api/orders').set('Cookie', me.cookie).expect(200);
    });

    expect(ops.map((op) => `${op.collection} ${op.method}`)).toEqual(['userorders findOne']);
    expect(res!.body.map((o: { id: string; status: string }) => [o.id, o.status])).toEqual([
      [second.orderId, 'complete'],
      [first.orderId, 'complete'],
    ]);
    const shown = await request(app).get(`/api/orders/${first.orderId}`).set('Cookie', me.cookie).expect(200);
    expect(res!.body[1]).toEqual(shown.body);
  });

  it('when an order became complete elsewhere, then the first list reads it and the next one does not', async () => {
    const { app } = testApp();
    const me = buyer();
    const { orderId } = await placeOrder(app, me);
    // Completed by another replica: this process never saw the change.
    await Order.updateOne({ _id: orderId }, { $set: { status: 'complete', paymentId: newId() }, $inc: { version: 1 } });

    const firstOps = await opsOf(() => request(app).get('/api/orders').set('Cookie', me.cookie).expect(200));
    const secondOps = await opsOf(async () => {
      const res = await request(app).get('/api/orders').set('Cookie', me.cookie).expect(200);
      expect(res.body.map((o: { status: string; version: number }) => [o.status, o.version])).toEqual([['complete', 1]]);
    });

    expect(onOrders(firstOps).map((op) => op.method)).toEqual(['find']);
    expect(onOrders(secondOps)).toEqual([]);
  });

  it('when an order is still active, then every list reads it again and shows its change', async () => {
    const { app } = testApp();
    const me = buyer();
    const { orderId } = await placeOrder(app, me);

    const firstOps = await opsOf(() => request(app).get('/api/orders').set('Cookie', me.cookie).expect(200));
    await cancelOrder(orderId, {});
    let status: string | undefined;
    const secondOps = await opsOf(async () => {
      status = (await request(app).get('/api/orders').set('Cookie', me.cookie).expect(200)).body[0].status;
    });

    expect(onOrders(firstOps).map((op) => op.method)).toEqual(['find']);
    expect(onOrders(secondOps).map((op) => op.method)).toEqual(['find']);
    expect(status).toBe('cancelled');
  });

  it("when a kept complete order is another user's, then the list never shows it", async () => {
    const { app } = testApp();
    const me = buyer();
    const other = await placeOrder(app);
    await completeOrder(other.orderId, newId());
    await recordUserOrder(me.id, other.orderId);
    const mine = await placeOrder(app, me);

    const res = await request(app).get('/api/orders').set('Cookie', me.cookie).expect(200);

    expect(res.body.map((o: { id: string }) => o.id)).toEqual([mine.orderId]);
  });
});
