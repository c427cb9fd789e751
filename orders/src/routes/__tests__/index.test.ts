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
    // The first one made newest, so the list order cannot be the insertion order by accident
    // (straight to the collection: mongoose keeps createdAt immutable).
    await Order.collection.updateOne({ _id: new Types.ObjectId(first.orderId) }, { $set: { createdAt: new Date(Date.now() + 10_000) } });

    const res = await request(app).get('/api/orders').set('Cookie', me.cookie).expect(200);

    expect(res.body.map((o: { id: string }) => o.id)).toEqual([first.orderId, second.orderId]);
    expect(res.body[1]).toEqual(second.order);
    expect(res.body[0].ticket).toEqual({ id: first.ticket.id, title: 'Concert', price: 20, version: 0 });
    for (const o of res.body) expect(Object.keys(o).sort()).toEqual(['expiresAt', 'id', 'status', 'ticket', 'userId', 'version']);
  });
});
