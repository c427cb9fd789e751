import request from 'supertest';
import { OrderCancelledEvent, Subjects } from '@ticketing/common';
import { captureLogger, InMemoryBus, newId } from '@ticketing/common/testing';
import { ActiveHold } from '../../models/active-hold';
import { Order } from '../../models/order';
import { PaymentStartedListener } from '../../events/listeners/payment-started-listener';
import { buyer, inSeconds, paymentEvents, placeOrder, sentEvents, testApp } from '../../test/helpers';

const cancel = (app: ReturnType<typeof testApp>['app'], id: string, cookie?: string[]) => {
  const req = request(app).delete(`/api/orders/${id}`);
  return cookie ? req.set('Cookie', cookie) : req;
};

describe('DELETE /api/orders/:id', () => {
  it('when not signed in, then 401', async () => {
    const { app } = testApp();
    const { orderId } = await placeOrder(app);
    const res = await cancel(app, orderId).expect(401);
    expect(res.body).toEqual({ errors: [{ message: 'Not authorized' }] });
    expect(await Order.findById(orderId)).toMatchObject({ status: 'created', version: 0 });
  });

  it.each([['malformed', 'not-an-id'], ['badly percent-encoded', '%E0%A4%A'], ['unknown', newId()]])('when the id is %s, then 404', async (_name, id) => {
    const res = await cancel(testApp().app, id, buyer().cookie).expect(404);
    expect(res.body).toEqual({ errors: [{ message: 'Not Found' }] });
  });

  it("when the order is another user's, then 401, the order unchanged and no event", async () => {
    const { app } = testApp();
    const { orderId } = await placeOrder(app);
    const res = await cancel(app, orderId, buyer().cookie).expect(401);
    expect(res.body).toEqual({ errors: [{ message: 'Not authorized' }] });
    expect(await Order.findById(orderId)).toMatchObject({ status: 'created', version: 0 });
    expect((await sentEvents()).published).toEqual([]);
  });

  it('when the order is active, then 204, cancelled at version 1, the ticket released and order:cancelled stored', async () => {
    const { app } = testApp();
    const { orderId, ticket, who } = await placeOrder(app);
    const res = await cancel(app, orderId, who.cookie).expect(204);
    expect(res.text).toBe('');

    const stored = await Order.findById(orderId);
    expect(stored).toMatchObject({ status: 'cancelled', version: 1, ticketLock: `released:${orderId}` });
    // The hold is over: the sweeper has nothing left to look at.
    expect(await ActiveHold.findById(orderId)).toBeNull();
    const bus = await sentEvents();
    expect(bus.events<OrderCancelledEvent>(Subjects.OrderCancelled)).toEqual([{ id: orderId, version: 1, ticket: { id: ticket.id } }]);
    expect(bus.published).toHaveLength(1);
    expect(bus.envelopes(Subjects.OrderCancelled)[0].meta).toMatchObject({ requestId: res.headers['x-request-id'], source: 'orders' });

    const shown = await request(app).get(`/api/orders/${orderId}`).set('Cookie', who.cookie).expect(200);
    expect(shown.body).toMatchObject({ status: 'cancelled', version: 1 });
  });

  it('when the order is cancelled again, then 204 and nothing changes or is published', async () => {
    const { app } = testApp();
    const { orderId, who } = await placeOrder(app);
    await cancel(app, orderId, who.cookie).expect(204);
    await sentEvents();

    await cancel(app, orderId, who.cookie).expect(204);
    expect(await Order.findById(orderId)).toMatchObject({ status: 'cancelled', version: 1 });
    expect((await sentEvents()).published).toEqual([]);
  });

  it('when the buyer sends ten cancels at once, then one change and one order:cancelled', async () => {
    const { app } = testApp();
    const { orderId, who } = await placeOrder(app);
    const responses = await Promise.all(Array.from({ length: 10 }, () => cancel(app, orderId, who.cookie)));
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(204));
    expect(await Order.findById(orderId)).toMatchObject({ status: 'cancelled', version: 1 });
    expect((await sentEvents()).events(Subjects.OrderCancelled)).toHaveLength(1);
  });

  it('when the order is complete, then 400 "Cannot cancel a completed order" and it stays complete', async () => {
    const { app } = testApp();
    const { orderId, ticket, who } = await placeOrder(app);
    await Order.updateOne({ _id: orderId }, { $set: { status: 'complete', version: 1 } });

    const res = await cancel(app, orderId, who.cookie).expect(400);
    expect(res.body).toEqual({ errors: [{ message: 'Cannot cancel a completed order' }] });
    expect(await Order.findById(orderId)).toMatchObject({ status: 'complete', version: 1, ticketLock: ticket.id });
    expect((await sentEvents()).published).toEqual([]);
  });

  it('when a payment in flight extended the hold, then the buyer may still cancel: 204, cancelled, one order:cancelled (payments refunds the charge if it lands)', async () => {
    const { app } = testApp();
    const { orderId, ticket, who } = await placeOrder(app);
    await new PaymentStartedListener(new InMemoryBus(), captureLogger().logger).handle(paymentEvents.started(orderId, inSeconds(60)));

    await cancel(app, orderId, who.cookie).expect(204);

    expect(await Order.findById(orderId)).toMatchObject({ status: 'cancelled', version: 1, ticketLock: `released:${orderId}`, payment: { status: 'pending' } });
    const bus = await sentEvents();
    expect(bus.events<OrderCancelledEvent>(Subjects.OrderCancelled)).toEqual([{ id: orderId, version: 1, ticket: { id: ticket.id } }]);
    expect(bus.published).toHaveLength(1);
  });
});
