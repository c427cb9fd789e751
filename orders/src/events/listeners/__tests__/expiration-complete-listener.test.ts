import request from 'supertest';
import { ExpirationCompleteEvent, OrderCancelledEvent, Subjects } from '@ticketing/common';
import { captureLogger, envelopeOf, InMemoryBus, newId } from '@ticketing/common/testing';
import { ActiveHold } from '../../../models/active-hold';
import { Order } from '../../../models/order';
import { inSeconds, makeOverdue, paymentEvents, placeOrder, sentEvents, testApp } from '../../../test/helpers';
import { ExpirationCompleteListener } from '../expiration-complete-listener';
import { PaymentStartedListener } from '../payment-started-listener';

const listener = () => new ExpirationCompleteListener(new InMemoryBus(), captureLogger().logger);
const expired = (orderId: string) =>
  envelopeOf<ExpirationCompleteEvent>(Subjects.ExpirationComplete, { orderId }, { requestId: 'req-exp-1' });

describe('ExpirationCompleteListener', () => {
  it('when an unpaid hold expires, delivered twice, then the order is cancelled once, its ticket released and one order:cancelled stored', async () => {
    const { orderId, ticket } = await placeOrder(testApp().app);
    await makeOverdue(orderId);
    const l = listener();
    const event = expired(orderId);

    expect(await l.handle(event)).toBe('acked');
    expect(await l.handle(event)).toBe('acked');

    expect(await Order.findById(orderId)).toMatchObject({ status: 'cancelled', version: 1, ticketLock: `released:${orderId}` });
    expect(await ActiveHold.findById(orderId)).toBeNull();
    const bus = await sentEvents();
    expect(bus.events<OrderCancelledEvent>(Subjects.OrderCancelled)).toEqual([{ id: orderId, version: 1, ticket: { id: ticket.id } }]);
    expect(bus.published).toHaveLength(1);
    // The story of the request that placed the hold continues in the event it caused.
    expect(bus.envelopes(Subjects.OrderCancelled)[0].meta).toMatchObject({ requestId: 'req-exp-1', source: 'orders' });
  });

  it('when expiration:complete arrives before the hold is over, then it is acked, the order stays created and the early arrival is logged', async () => {
    const { orderId, order } = await placeOrder(testApp().app);
    const { logger, lines } = captureLogger();

    expect(await new ExpirationCompleteListener(new InMemoryBus(), logger).handle(expired(orderId))).toBe('acked');

    expect(await Order.findById(orderId)).toMatchObject({ status: 'created', version: 0 });
    expect((await sentEvents()).published).toEqual([]);
    expect(lines).toContainEqual(
      expect.objectContaining({
        msg: 'expiration before the hold is over: left to the sweeper or the payment outcome',
        orderId,
        holdEndsAt: order.expiresAt,
        extended: false,
      }),
    );
  });

  it('when the hold was extended and holdUntil has passed too, then the order is cancelled once', async () => {
    const { orderId } = await placeOrder(testApp().app);
    const bus = new InMemoryBus();
    const { logger } = captureLogger();
    await new PaymentStartedListener(bus, logger).handle(paymentEvents.started(orderId, inSeconds(-1)));
    await makeOverdue(orderId, 5_000);
    const l = listener();

    expect(await l.handle(expired(orderId))).toBe('acked');
    expect(await l.handle(expired(orderId))).toBe('acked');

    expect(await Order.findById(orderId)).toMatchObject({ status: 'cancelled', version: 1, payment: { status: 'pending' } });
    expect((await sentEvents()).events(Subjects.OrderCancelled)).toHaveLength(1);
  });

  it('when the order is complete, then nothing changes and nothing is published', async () => {
    const { orderId, ticket } = await placeOrder(testApp().app);
    await Order.updateOne({ _id: orderId }, { $set: { status: 'complete', version: 1 } });

    expect(await listener().handle(expired(orderId))).toBe('acked');
    expect(await Order.findById(orderId)).toMatchObject({ status: 'complete', version: 1, ticketLock: ticket.id });
    expect((await sentEvents()).published).toEqual([]);
  });

  it('when the buyer already cancelled, then nothing changes and no second order:cancelled', async () => {
    const { app } = testApp();
    const { orderId, who } = await placeOrder(app);
    await request(app).delete(`/api/orders/${orderId}`).set('Cookie', who.cookie).expect(204);
    await sentEvents();

    expect(await listener().handle(expired(orderId))).toBe('acked');
    expect(await Order.findById(orderId)).toMatchObject({ status: 'cancelled', version: 1 });
    expect((await sentEvents()).published).toEqual([]);
  });

  it('when the order is unknown, then the event is not acked (retried, then dead-lettered)', async () => {
    expect(await listener().handle(expired(newId()))).toBe('retry');
    expect(await listener().handle(expired('not-an-object-id'))).toBe('retry');
  });
});
