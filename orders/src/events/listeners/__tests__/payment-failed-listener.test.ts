import request from 'supertest';
import { OrderCancelledEvent, Subjects } from '@ticketing/common';
import { captureLogger, InMemoryBus, newId } from '@ticketing/common/testing';
import { ActiveHold } from '../../../models/active-hold';
import { Order } from '../../../models/order';
import { inSeconds, makeOverdue, paymentEvents, placeOrder, sentEvents, testApp } from '../../../test/helpers';
import { PaymentCreatedListener } from '../payment-created-listener';
import { PaymentFailedListener } from '../payment-failed-listener';
import { PaymentStartedListener } from '../payment-started-listener';

function setup() {
  const { logger, lines } = captureLogger();
  const bus = new InMemoryBus();
  return {
    lines,
    started: new PaymentStartedListener(bus, logger),
    failed: new PaymentFailedListener(bus, logger),
    paid: new PaymentCreatedListener(bus, logger),
  };
}

describe('PaymentFailedListener', () => {
  it('when the payment fails while the hold window still runs, delivered twice, then the extension is cleared, the failure and its reason shown, the order still held and nothing published', async () => {
    const { app } = testApp();
    const { orderId, who } = await placeOrder(app);
    const { started, failed, lines } = setup();
    const paymentId = newId();
    await started.handle(paymentEvents.started(orderId, inSeconds(60), paymentId));
    const event = paymentEvents.failed(orderId, paymentId, 'Your card was declined.');

    expect(await failed.handle(event)).toBe('acked');
    expect(await failed.handle(event)).toBe('acked');

    const order = (await Order.findById(orderId))!;
    expect(order.holdUntil).toBeUndefined();
    expect(order).toMatchObject({ status: 'created', version: 0, payment: { id: paymentId, status: 'failed', reason: 'Your card was declined.' } });
    expect((await sentEvents()).published).toEqual([]);
    const shown = await request(app).get(`/api/orders/${orderId}`).set('Cookie', who.cookie).expect(200);
    expect(shown.body).toMatchObject({ status: 'created', payment: { status: 'failed', reason: 'Your card was declined.' } });
    expect(shown.body.payment).toEqual({ status: 'failed', reason: 'Your card was declined.' });
    expect(lines.filter((l) => l.msg === 'payment failed: hold extension cleared')).toEqual([
      expect.objectContaining({ orderId, paymentId, reason: 'Your card was declined.' }),
    ]);
    expect(lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('payment:failed ignored'))).toHaveLength(1);
  });

  it('when a payment whose extension ran past the window fails, then the hold marker moves back to expiresAt; a redelivery puts it back there when the first delivery died before moving it', async () => {
    const { order, orderId } = await placeOrder(testApp(30).app);
    const { started, failed } = setup();
    const paymentId = newId();
    const holdUntil = inSeconds(60);
    await started.handle(paymentEvents.started(orderId, holdUntil, paymentId));
    const event = paymentEvents.failed(orderId, paymentId);

    expect(await failed.handle(event)).toBe('acked');
    expect(await ActiveHold.findById(orderId).lean()).toEqual({ _id: orderId, endsAt: new Date(order.expiresAt) });

    // As the first delivery leaves it when it dies between the order's write and the marker's.
    await ActiveHold.updateOne({ _id: orderId }, { $set: { endsAt: holdUntil } });
    expect(await failed.handle(event)).toBe('acked');
    expect(await ActiveHold.findById(orderId).lean()).toEqual({ _id: orderId, endsAt: new Date(order.expiresAt) });
    expect(await Order.findById(orderId)).toMatchObject({ status: 'created', version: 0, payment: { status: 'failed' } });
  });

  it('when the payment fails after the hold window ran out, delivered twice, then the order is cancelled at once, its ticket released and one order:cancelled stored', async () => {
    const { orderId, ticket } = await placeOrder(testApp().app);
    const { started, failed, lines } = setup();
    const paymentId = newId();
    await started.handle(paymentEvents.started(orderId, inSeconds(60), paymentId));
    await makeOverdue(orderId);
    const event = paymentEvents.failed(orderId, paymentId);

    expect(await failed.handle(event)).toBe('acked');
    expect(await failed.handle(event)).toBe('acked');

    expect(await Order.findById(orderId)).toMatchObject({
      status: 'cancelled',
      version: 1,
      ticketLock: `released:${orderId}`,
      payment: { status: 'failed' },
    });
    const bus = await sentEvents();
    expect(bus.events<OrderCancelledEvent>(Subjects.OrderCancelled)).toEqual([{ id: orderId, version: 1, ticket: { id: ticket.id } }]);
    expect(bus.published).toHaveLength(1);
    expect(bus.envelopes(Subjects.OrderCancelled)[0].meta).toMatchObject({ requestId: 'req-pay-1', source: 'orders' });
    expect(lines.filter((l) => l.msg === 'hold over: order cancelled after its payment failed')).toEqual([
      expect.objectContaining({ orderId, paymentId }),
    ]);
  });

  it('when payment:failed arrives before its payment:started, then the failure is kept and the late start extends nothing', async () => {
    const { orderId } = await placeOrder(testApp().app);
    await makeOverdue(orderId);
    const { started, failed } = setup();
    const paymentId = newId();

    expect(await failed.handle(paymentEvents.failed(orderId, paymentId))).toBe('acked');
    expect(await started.handle(paymentEvents.started(orderId, inSeconds(60), paymentId))).toBe('acked');

    // The window had run out: the failure cancelled it, and the late start did not revive it.
    const order = (await Order.findById(orderId))!;
    expect(order).toMatchObject({ status: 'cancelled', version: 1, payment: { status: 'failed' } });
    expect(order.holdUntil).toBeUndefined();
    expect((await sentEvents()).events(Subjects.OrderCancelled)).toHaveLength(1);
  });

  it('when payment:failed is redelivered after the order was paid, then the order stays complete and paid', async () => {
    const { orderId } = await placeOrder(testApp().app);
    const { started, failed, paid } = setup();
    const paymentId = newId();
    await started.handle(paymentEvents.started(orderId, inSeconds(60), paymentId));
    await paid.handle(paymentEvents.created(orderId, paymentId));

    expect(await failed.handle(paymentEvents.failed(orderId, paymentId))).toBe('acked');

    expect(await Order.findById(orderId)).toMatchObject({ status: 'complete', version: 1, payment: { status: 'paid' } });
    expect((await sentEvents()).published).toEqual([]);
  });

  it('when the order is unknown, then the event is not acked', async () => {
    expect(await setup().failed.handle(paymentEvents.failed(newId(), newId()))).toBe('retry');
  });
});
