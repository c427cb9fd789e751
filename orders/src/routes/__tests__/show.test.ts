import request from 'supertest';
import { newId } from '@ticketing/common/testing';
import { Order } from '../../models/order';
import { buyer, inSeconds, opsOf, placeOrder, testApp } from '../../test/helpers';

describe('GET /api/orders/:id', () => {
  it('when not signed in, then 401 (before the id is even looked at)', async () => {
    const res = await request(testApp().app).get(`/api/orders/${newId()}`).expect(401);
    expect(res.body).toEqual({ errors: [{ message: 'Not authorized' }] });
  });

  it.each([['malformed', 'not-an-id'], ['badly percent-encoded', '%E0%A4%A'], ['unknown', newId()]])('when the id is %s, then 404', async (_name, id) => {
    const res = await request(testApp().app).get(`/api/orders/${id}`).set('Cookie', buyer().cookie).expect(404);
    expect(res.body).toEqual({ errors: [{ message: 'Not Found' }] });
  });

  it("when the order is another user's, then 401", async () => {
    const { app } = testApp();
    const { orderId } = await placeOrder(app);
    const res = await request(app).get(`/api/orders/${orderId}`).set('Cookie', buyer().cookie).expect(401);
    expect(res.body).toEqual({ errors: [{ message: 'Not authorized' }] });
  });

  it('when the order is the user\'s own, then 200 with the order as it was created', async () => {
    const { app } = testApp();
    const { orderId, order, who } = await placeOrder(app);
    const res = await request(app).get(`/api/orders/${orderId}`).set('Cookie', who.cookie).expect(200);
    expect(res.body).toEqual(order);
  });

  it('when payments reported a failure and a refund, then the order shows payment {status, reason} and refund {id, amount}, and none of the internal payment fields', async () => {
    const { app } = testApp();
    const { orderId, who } = await placeOrder(app);
    await Order.updateOne(
      { _id: orderId },
      { $set: { holdUntil: inSeconds(60), payment: { id: newId(), status: 'failed', reason: 'Your card was declined.', holdUntil: inSeconds(60), failedEventId: 'e1' } } },
    );
    let res = await request(app).get(`/api/orders/${orderId}`).set('Cookie', who.cookie).expect(200);
    expect(res.body.payment).toEqual({ status: 'failed', reason: 'Your card was declined.' });
    expect(Object.keys(res.body).sort()).toEqual(['expiresAt', 'id', 'payment', 'status', 'ticket', 'userId', 'version']);

    await Order.updateOne({ _id: orderId }, { $set: { status: 'cancelled', payment: { id: newId(), status: 'refunded' }, refund: { id: 're_1', amount: 2000 } } });
    res = await request(app).get(`/api/orders/${orderId}`).set('Cookie', who.cookie).expect(200);
    expect(res.body).toMatchObject({ status: 'cancelled', payment: { status: 'refunded' }, refund: { id: 're_1', amount: 2000 } });
    expect(res.body.payment).toEqual({ status: 'refunded' });
  });

  it('when the order was completed by another replica, then the first read takes it from the database and later ones from the kept copy', async () => {
    const { app } = testApp();
    const { orderId, who } = await placeOrder(app);
    await Order.updateOne({ _id: orderId }, { $set: { status: 'complete', paymentId: newId() }, $inc: { version: 1 } });

    const first = await opsOf(() => request(app).get(`/api/orders/${orderId}`).set('Cookie', who.cookie).expect(200));
    let body: { status?: string; version?: number } = {};
    const second = await opsOf(async () => {
      body = (await request(app).get(`/api/orders/${orderId}`).set('Cookie', who.cookie).expect(200)).body;
    });
    // Another user still gets 401 from the kept copy.
    await request(app).get(`/api/orders/${orderId}`).set('Cookie', buyer().cookie).expect(401);

    expect(first.map((op) => `${op.collection} ${op.method}`)).toEqual(['orders findOne']);
    expect(second).toEqual([]);
    expect(body).toMatchObject({ status: 'complete', version: 1 });
  });
});
