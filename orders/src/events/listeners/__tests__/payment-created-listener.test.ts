import { ExpirationCompleteEvent, PaymentCreatedEvent, Subjects } from '@ticketing/common';
import { captureLogger, envelopeOf, InMemoryBus, newId } from '@ticketing/common/testing';
import { cancelOrder, Order } from '../../../models/order';
import { placeOrder, sentEvents, testApp } from '../../../test/helpers';
import { ExpirationCompleteListener } from '../expiration-complete-listener';
import { PaymentCreatedListener } from '../payment-created-listener';

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

    expect(await listener.handle(event)).toBe('acked');
    expect(await listener.handle(event)).toBe('acked');

    expect(await Order.findById(orderId)).toMatchObject({
      status: 'complete',
      version: 1,
      paymentId: event.data.id,
      ticketLock: ticket.id,
    });
    expect((await sentEvents()).published).toEqual([]);
    expect(errors()).toEqual([]);
  });

  it('when the order was cancelled before the payment landed, then it stays cancelled, the event is acked and a refund is asked for', async () => {
    const { orderId } = await placeOrder(testApp().app);
    await cancelOrder(orderId, {});
    const { listener, errors } = setup();
    const event = paid(orderId);

    expect(await listener.handle(event)).toBe('acked');
    expect(await Order.findById(orderId)).toMatchObject({ status: 'cancelled', version: 1 });
    expect(errors()).toEqual([
      expect.objectContaining({ msg: 'payment for a cancelled order: needs a refund', orderId, paymentId: event.data.id, stripeId: event.data.stripeId }),
    ]);
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
