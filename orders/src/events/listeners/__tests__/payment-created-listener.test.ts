import request from 'supertest';
import { ExpirationCompleteEvent, PaymentCreatedEvent, Subjects } from '@ticketing/common';
import { captureLogger, envelopeOf, InMemoryBus, newId } from '@ticketing/common/testing';
import { ActiveHold } from '../../../models/active-hold';
import { cancelOrder, Order } from '../../../models/order';
import { buyer, inSeconds, makeOverdue, paymentEvents, placeOrder, sentEvents, testApp } from '../../../test/helpers';
import { ExpirationCompleteListener } from '../expiration-complete-listener';
import { PaymentCreatedListener } from '../payment-created-listener';
import { PaymentStartedListener } from '../payment-started-listener';

function setup() {
  const { logger, lines } = captureLogger();
  const listener = new PaymentCreatedListener(new InMemoryBus(), logger);
  const errors = () => lines.filter((l) => l.level >= 50);
  return { listener, logger, lines, errors };
}
const paid = (orderId: string, id = newId()) =>
  envelopeOf<PaymentCreatedEvent>(Subjects.PaymentCreated, { id, orderId, stripeId: `ch_${id}` });

describe('PaymentCreatedListener', () => {
  it('when an order is paid, delivered twice, then it is complete once (version 1), the ticket stays taken, and nothing is published', async () => {
    const { orderId, ticket } = await placeOrder(testApp().app);
    const { listener, errors } = setup();
    const event = paid(orderId);
    // The first delivery is one conditional write: it reads no order first.
    const reads = jest.spyOn(Order.collection, 'findOne');

    expect(await listener.handle(event)).toBe('acked');
    expect(reads).not.toHaveBeenCalled();
    expect(await listener.handle(event)).toBe('acked');
    reads.mockRestore();

    expect(await Order.findById(orderId)).toMatchObject({
      status: 'complete',
      version: 1,
      paymentId: event.data.id,
      payment: { id: event.data.id, status: 'paid' },
      ticketLock: ticket.id,
    });
    expect(await ActiveHold.findById(orderId)).toBeNull();
    expect((await sentEvents()).published).toEqual([]);
    expect(errors()).toEqual([]);
  });

  it('when this process completed the order, then GET /api/orders/:id and expiration:complete are answered from the copy it kept, the body equal to what the database gives', async () => {
    const { app } = testApp();
    const { orderId, who } = await placeOrder(app);
    const { listener } = setup();
    expect(await listener.handle(paid(orderId))).toBe('acked');
    const fromDatabase = JSON.parse(JSON.stringify((await Order.findById(orderId))!.toJSON()));

    const reads = jest.spyOn(Order.collection, 'findOne');
    const shown = await request(app).get(`/api/orders/${orderId}`).set('Cookie', who.cookie).expect(200);
    const expiration = new ExpirationCompleteListener(new InMemoryBus(), captureLogger().logger);
    expect(await expiration.handle(envelopeOf<ExpirationCompleteEvent>(Subjects.ExpirationComplete, { orderId }))).toBe('acked');
    // Not the owner: still 401, from the copy too.
    await request(app).get(`/api/orders/${orderId}`).set('Cookie', buyer().cookie).expect(401);
    expect(reads).not.toHaveBeenCalled();
    reads.mockRestore();

    expect(shown.body).toEqual(fromDatabase);
    expect(shown.body).toMatchObject({ id: orderId, status: 'complete', payment: { status: 'paid' } });
    expect(await Order.findById(orderId)).toMatchObject({ status: 'complete', version: 1 });
  });

  it('when the order was cancelled before the payment landed, delivered twice, then it stays cancelled, the event is acked and a warning says payments refunds it', async () => {
    const { orderId } = await placeOrder(testApp().app);
    await cancelOrder(orderId, {});
    await sentEvents();
    const { listener, lines, errors } = setup();
    const event = paid(orderId);

    expect(await listener.handle(event)).toBe('acked');
    expect(await listener.handle(event)).toBe('acked');

    const order = await Order.findById(orderId);
    expect(order).toMatchObject({ status: 'cancelled', version: 1 });
    expect(order!.paymentId).toBeUndefined();
    expect(order!.payment).toBeUndefined();
    expect((await sentEvents()).published).toEqual([]);
    // Not an error any more: payments refunds a charge of a cancelled order by itself.
    expect(errors()).toEqual([]);
    expect(lines.filter((l) => l.level === 40)).toEqual([
      expect.objectContaining({ msg: 'payment for a cancelled order ignored: payments refunds it', orderId, paymentId: event.data.id, stripeId: event.data.stripeId }),
      expect.objectContaining({ msg: 'payment for a cancelled order ignored: payments refunds it' }),
    ]);
  });

  it('when a payment lands on an order whose window ran out but whose hold a payment extended, then the order is complete and shows paid', async () => {
    const { app } = testApp();
    const { orderId, who } = await placeOrder(app);
    const { listener } = setup();
    const paymentId = newId();
    await new PaymentStartedListener(new InMemoryBus(), captureLogger().logger).handle(paymentEvents.started(orderId, inSeconds(60), paymentId));
    await makeOverdue(orderId);

    expect(await listener.handle(paid(orderId, paymentId))).toBe('acked');

    expect(await Order.findById(orderId)).toMatchObject({ status: 'complete', version: 1, paymentId, payment: { id: paymentId, status: 'paid' } });
    const shown = await request(app).get(`/api/orders/${orderId}`).set('Cookie', who.cookie).expect(200);
    expect(shown.body).toMatchObject({ status: 'complete', payment: { status: 'paid' } });
    expect((await sentEvents()).published).toEqual([]);
  });

  it('when a second, different payment arrives for a paid order, then the order keeps the first and a refund is asked for', async () => {
    const { orderId } = await placeOrder(testApp().app);
    const { listener, errors } = setup();
    const first = paid(orderId);
    await listener.handle(first);

    const second = paid(orderId);
    expect(await listener.handle(second)).toBe('acked');
    expect(await Order.findById(orderId)).toMatchObject({ status: 'complete', version: 1, paymentId: first.data.id });
    expect(errors()).toEqual([
      expect.objectContaining({ msg: 'second payment for a paid order: needs a refund', paymentId: second.data.id, firstPaymentId: first.data.id }),
    ]);
  });

  it('when the order is unknown, then the event is not acked', async () => {
    expect(await setup().listener.handle(paid(newId()))).toBe('retry');
  });

  it('when the payment and the expiration race, then exactly one of them changes the order', async () => {
    const { orderId } = await placeOrder(testApp().app);
    await makeOverdue(orderId);
    const { listener, logger } = setup();
    const expiration = new ExpirationCompleteListener(new InMemoryBus(), logger);

    const outcomes = await Promise.all([
      listener.handle(paid(orderId)),
      expiration.handle(envelopeOf<ExpirationCompleteEvent>(Subjects.ExpirationComplete, { orderId })),
    ]);

    expect(outcomes).toEqual(['acked', 'acked']);
    const order = await Order.findById(orderId);
    expect(order!.version).toBe(1);
    const cancelled = (await sentEvents()).events(Subjects.OrderCancelled);
    expect(cancelled).toHaveLength(order!.status === 'cancelled' ? 1 : 0);
  });
});
