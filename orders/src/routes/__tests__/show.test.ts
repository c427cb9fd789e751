import request from 'supertest';
import { newId } from '@ticketing/common/testing';
import { buyer, placeOrder, testApp } from '../../test/helpers';

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
});
