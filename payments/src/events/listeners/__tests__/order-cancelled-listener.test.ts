import { OrderCancelledEvent, OrderStatus, PaymentRefundedEvent, Subjects } from '@ticketing/common';
import { captureLogger, envelopeOf, InMemoryBus, newId } from '@ticketing/common/testing';
import { OrderCancelledListener } from '../order-cancelled-listener';
import { Order } from '../../../models/order';
import { PaymentStatus } from '../../../models/payment';
import { PaymentProcessor } from '../../../payment-processor';
import { Reconciler } from '../../../reconciler';
import {
  cardDeclined,
  crashedAttempt,
  orderFor,
  pay,
  paymentOf,
  sendOutbox,
  sentSubjects,
  stripeDown,
  stripeHoldingCharges,
  stubStripe,
  testApp,
} from '../../../test/helpers';

const listener = () => {
  const { logger } = captureLogger();
  return new OrderCancelledListener(new InMemoryBus(), logger, new PaymentProcessor(stubStripe(), logger));
};

const cancelled = (id: string, version: number) =>
  envelopeOf<OrderCancelledEvent>(Subjects.OrderCancelled, { id, version, ticket: { id: newId() } });

async function replica(version = 0, status = OrderStatus.Created) {
  return Order.create({ _id: newId(), userId: newId(), price: 10, status, version });
}

const stored = (id: string) => Order.findById(id).lean();

it('when order:cancelled is the next version, then the replica is cancelled at that version', async () => {
  const order = await replica(0);

  expect(await listener().handle(cancelled(order.id, 1))).toBe('acked');

  expect(await stored(order.id)).toMatchObject({ status: OrderStatus.Cancelled, version: 1 });
});

it('when the same order:cancelled is delivered twice, then both are acked and it is applied once', async () => {
  const order = await replica(0);
  const envelope = cancelled(order.id, 1);
  const l = listener();

  expect(await l.handle(envelope)).toBe('acked');
  expect(await l.handle(envelope)).toBe('acked');

  expect(await stored(order.id)).toMatchObject({ status: OrderStatus.Cancelled, version: 1 });
});

it('when order:cancelled is older than the replica, then it is acked and changes nothing', async () => {
  const order = await replica(3);

  expect(await listener().handle(cancelled(order.id, 2))).toBe('acked');

  expect(await stored(order.id)).toMatchObject({ status: OrderStatus.Created, version: 3 });
});

it('when order:cancelled skips a version, then it is left for redelivery and changes nothing until the gap is filled', async () => {
  const order = await replica(0);
  const l = listener();
  const ahead = cancelled(order.id, 2);

  expect(await l.handle(ahead)).toBe('retry');
  expect(await stored(order.id)).toMatchObject({ status: OrderStatus.Created, version: 0 });

  await Order.updateOne({ _id: order.id }, { $set: { version: 1 } }); // the missing event, applied
  expect(await l.handle(ahead, 2)).toBe('acked');
  expect(await stored(order.id)).toMatchObject({ status: OrderStatus.Cancelled, version: 2 });
});

it('when order:cancelled arrives before order:created, then it is left for redelivery and nothing is stored', async () => {
  const id = newId();

  expect(await listener().handle(cancelled(id, 1))).toBe('retry');

  expect(await stored(id)).toBeNull();
});

it('when an event ahead of the replica is retried, then it is logged as out of order, not as a failure', async () => {
  const { logger, lines } = captureLogger();
  const order = await replica(0);

  await new OrderCancelledListener(new InMemoryBus(), logger, new PaymentProcessor(stubStripe(), logger)).handle(
    cancelled(order.id, 5),
  );

  expect(lines).toContainEqual(expect.objectContaining({ msg: 'event ahead of local state, will retry', level: 30 }));
  expect(lines.filter((l) => l.level >= 40)).toEqual([]);
});

describe('the refund rule', () => {
  /** An app and an order:cancelled listener sharing one processor, as in the service. */
  function service(stripe = stubStripe()) {
    const { app, logger, lines, processor } = testApp(stripe);
    return { app, lines, stripe, listener: new OrderCancelledListener(new InMemoryBus(), logger, processor), logger, processor };
  }

  it('when order:cancelled arrives after the payment succeeded, then the charge is refunded once, even when the event is delivered twice', async () => {
    const { app, lines, stripe, listener: l } = service();
    const { order, cookie } = await orderFor();
    const res = await pay(app, cookie, { token: 'tok_visa', orderId: order.id }).expect(201);
    await sendOutbox();
    const envelope = cancelled(order.id, 1);

    expect(await l.handle(envelope)).toBe('acked');
    expect(await l.handle(envelope)).toBe('acked');

    expect(stripe.refunds.create.mock.calls).toEqual([
      [
        { charge: 'ch_stub', amount: 2000, metadata: { orderId: order.id, paymentId: res.body.id } },
        { idempotencyKey: `refund:${res.body.id}` },
      ],
    ]);
    expect(await paymentOf(order.id)).toMatchObject({
      status: PaymentStatus.Refunded,
      orderCancelled: true,
      refund: { id: 're_stub', amount: 2000 },
    });
    expect(await stored(order.id)).toMatchObject({ status: OrderStatus.Cancelled, version: 1 });
    const bus = await sendOutbox();
    expect(bus.events<PaymentRefundedEvent>(Subjects.PaymentRefunded)).toEqual([
      { id: res.body.id, orderId: order.id, stripeId: 'ch_stub', refundId: 're_stub', amount: 2000 },
    ]);
    expect(bus.allEnvelopes()).toHaveLength(1);
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'order cancelled after its payment succeeded, refunding', orderId: order.id, level: 40 }),
    );
  });

  it('when order:cancelled arrives while the payment is pending in another process, then nothing is refunded yet and the replay of the charge refunds it', async () => {
    const { stripe, listener: l, logger, processor } = service();
    const { order } = await orderFor();
    await crashedAttempt(order);

    expect(await l.handle(cancelled(order.id, 1))).toBe('acked');

    expect(stripe.refunds.create).not.toHaveBeenCalled();
    expect(await paymentOf(order.id)).toMatchObject({ status: PaymentStatus.Pending, orderCancelled: true });
    await new Reconciler(processor, logger, { olderThanMs: 0 }).runOnce();
    expect(stripe.refunds.create).toHaveBeenCalledTimes(1);
    expect(await paymentOf(order.id)).toMatchObject({ status: PaymentStatus.Refunded });
    expect(await sentSubjects()).toEqual([Subjects.PaymentStarted, Subjects.PaymentRefunded]);
  });

  it('when order:cancelled arrives for an order whose payment failed, then nothing is refunded or published', async () => {
    const { app, stripe, listener: l } = service(stubStripe(cardDeclined()));
    const { order, cookie } = await orderFor();
    await pay(app, cookie, { token: 'tok_visa', orderId: order.id }).expect(402);
    await sendOutbox();

    expect(await l.handle(cancelled(order.id, 1))).toBe('acked');

    expect(stripe.refunds.create).not.toHaveBeenCalled();
    expect(await paymentOf(order.id)).toMatchObject({ status: PaymentStatus.Failed, orderCancelled: true });
    expect(await sentSubjects()).toEqual([]);
  });

  it('when Stripe cannot refund right now, then the event is acked, the refund stays owed and the reconciler makes it later', async () => {
    const { app, lines, stripe, listener: l, logger, processor } = service();
    const { order, cookie } = await orderFor();
    await pay(app, cookie, { token: 'tok_visa', orderId: order.id }).expect(201);
    stripe.refunds.create.mockRejectedValueOnce(stripeDown());

    expect(await l.handle(cancelled(order.id, 1))).toBe('acked');

    expect(await paymentOf(order.id)).toMatchObject({ status: PaymentStatus.Refunding });
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'refund not confirmed, the reconciler will retry', orderId: order.id }));
    await new Reconciler(processor, logger, { olderThanMs: 0 }).runOnce();
    expect(await paymentOf(order.id)).toMatchObject({ status: PaymentStatus.Refunded });
    expect(stripe.refunds.create).toHaveBeenCalledTimes(2);
    expect(stripe.refunds.create.mock.calls[1]).toEqual(stripe.refunds.create.mock.calls[0]);
  });

  it('when the charge\'s answer and order:cancelled race, then whichever reaches the payment first, the charge is refunded exactly once', async () => {
    const tick = () => new Promise((r) => setImmediate(r));
    const seen = new Set<number>();
    // Stripe's answer is released before, with, or after the listener's write on the payment.
    // Which one wins a round depends on the machine's timing: rounds go on (up to 24) until
    // both orders have been seen.
    const leads = [-1, 0, 1, 3];
    for (let round = 0; round < 24 && (round < 8 || seen.size < 2); round++) {
      const answerLead = leads[round % leads.length];
      const { stripe, called, release } = stripeHoldingCharges();
      const { app, listener: l, processor } = service(stripe);
      const { order, cookie } = await orderFor();
      const paying = pay(app, cookie, { token: 'tok_visa', orderId: order.id }).then((r) => r);
      await called;
      const markCancelled = processor.orderCancelled.bind(processor);
      jest.spyOn(processor, 'orderCancelled').mockImplementation(async (...args) => {
        if (answerLead < 0) {
          const marking = markCancelled(...args); // the payment write is on its way first
          release();
          return marking;
        }
        release();
        for (let i = 0; i < answerLead; i++) await tick();
        return markCancelled(...args);
      });

      const [res, outcome] = await Promise.all([paying, l.handle(cancelled(order.id, 1))]);

      seen.add(res.status);
      expect(outcome).toBe('acked');
      expect([201, 400]).toContain(res.status);
      expect(stripe.refunds.create).toHaveBeenCalledTimes(1);
      expect(await paymentOf(order.id)).toMatchObject({ status: PaymentStatus.Refunded });
      const subjects = await sentSubjects();
      expect(subjects.filter((s) => s === Subjects.PaymentRefunded)).toHaveLength(1);
      // payment:created only when the charge was accepted before the cancel reached it.
      expect(subjects.includes(Subjects.PaymentCreated)).toBe(res.status === 201);
    }
    // Both orders happened: the charger refunded (400) and the listener refunded (201).
    expect([...seen].sort()).toEqual([201, 400]);
  });
});
