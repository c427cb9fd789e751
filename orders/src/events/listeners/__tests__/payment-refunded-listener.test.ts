import request from 'supertest';
import { captureLogger, InMemoryBus, newId } from '@ticketing/common/testing';
import { cancelOrder, Order } from '../../../models/order';
import { inSeconds, paymentEvents, placeOrder, sentEvents, testApp } from '../../../test/helpers';
import { PaymentCreatedListener } from '../payment-created-listener';
import { PaymentRefundedListener } from '../payment-refunded-listener';
import { PaymentStartedListener } from '../payment-started-listener';

function setup() {
  const { logger, lines } = captureLogger();
  const bus = new InMemoryBus();
  return {
    lines,
    refunded: new PaymentRefundedListener(bus, logger),
    started: new PaymentStartedListener(bus, logger),
    paid: new PaymentCreatedListener(bus, logger),
  };
}

describe('PaymentRefundedListener', () => {
  it('when the charge of a cancelled order is refunded, delivered twice, then the refund is stored once, the order stays cancelled at its version and nothing is published', async () => {
    const { app } = testApp();
    const { orderId, who } = await placeOrder(app);
    const { started, refunded, lines } = setup();
    const paymentId = newId();
    await started.handle(paymentEvents.started(orderId, inSeconds(60), paymentId));
    await cancelOrder(orderId, {});
    await sentEvents();
    const event = paymentEvents.refunded(orderId, paymentId, 4250);

    expect(await refunded.handle(event)).toBe('acked');
    expect(await refunded.handle(event)).toBe('acked');

    expect(await Order.findById(orderId)).toMatchObject({
      status: 'cancelled',
      version: 1,
      refund: { id: `re_${paymentId}`, amount: 4250 },
      payment: { id: paymentId, status: 'refunded' },
    });
    expect((await sentEvents()).published).toEqual([]);
    const shown = await request(app).get(`/api/orders/${orderId}`).set('Cookie', who.cookie).expect(200);
    expect(shown.body).toMatchObject({ status: 'cancelled', payment: { status: 'refunded' }, refund: { id: `re_${paymentId}`, amount: 4250 } });
    const listed = await request(app).get('/api/orders').set('Cookie', who.cookie).expect(200);
    expect(listed.body[0]).toEqual(shown.body);
    expect(lines.filter((l) => l.msg === 'refund recorded on the cancelled order')).toEqual([
      expect.objectContaining({ orderId, paymentId, refundId: `re_${paymentId}`, amount: 4250 }),
    ]);
  });

  it('when payment:created for the cancelled order arrives after its refund (out of order), then the order stays cancelled with the refund', async () => {
    const { orderId } = await placeOrder(testApp().app);
    await cancelOrder(orderId, {});
    await sentEvents();
    const { refunded, paid } = setup();
    const paymentId = newId();

    await refunded.handle(paymentEvents.refunded(orderId, paymentId));
    expect(await paid.handle(paymentEvents.created(orderId, paymentId))).toBe('acked');

    expect(await Order.findById(orderId)).toMatchObject({ status: 'cancelled', version: 1, payment: { status: 'refunded' }, refund: { amount: 2000 } });
    expect((await sentEvents()).published).toEqual([]);
  });

  it('when a refund arrives for an order that is not cancelled, then it is acked, nothing is stored and an error is logged', async () => {
    const { orderId } = await placeOrder(testApp().app);
    const { refunded, lines } = setup();
    const event = paymentEvents.refunded(orderId, newId());

    expect(await refunded.handle(event)).toBe('acked');

    const order = (await Order.findById(orderId))!;
    expect(order).toMatchObject({ status: 'created', version: 0 });
    expect(order.refund).toBeUndefined();
    expect(lines.filter((l) => l.level >= 50)).toEqual([
      expect.objectContaining({ msg: 'refund for an order that is not cancelled', orderId, refundId: event.data.refundId, status: 'created' }),
    ]);
  });

  it('when the order is unknown, then the event is not acked', async () => {
    expect(await setup().refunded.handle(paymentEvents.refunded(newId(), newId()))).toBe('retry');
  });
});
