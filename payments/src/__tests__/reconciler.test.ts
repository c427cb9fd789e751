import Stripe from 'stripe';
import { OrderStatus, PaymentCreatedEvent, PaymentFailedEvent, PaymentRefundedEvent, Subjects } from '@ticketing/common';
import { captureLogger, waitFor } from '@ticketing/common/testing';
import { Payment, PaymentStatus } from '../models/payment';
import { OpenPayment } from '../models/open-payment';
import { PaymentProcessor } from '../payment-processor';
import { Reconciler } from '../reconciler';
import {
  cardDeclined,
  crashedAttempt,
  mockStripe,
  orderFor,
  paymentOf,
  sendOutbox,
  sentSubjects,
  stripeDown,
  stripeHoldingCharges,
  stubStripe,
} from '../test/helpers';

function reconcilerWith(stripe: ReturnType<typeof stubStripe> | Stripe, opts = { olderThanMs: 30_000 }) {
  const { logger, lines } = captureLogger();
  const processor = new PaymentProcessor(stripe, logger);
  return { reconciler: new Reconciler(processor, logger, opts), processor, lines };
}

it('when a process died during the charge, then the reconciler replays the stored request with the same key on stripe-mock and the payment succeeds with payment:created', async () => {
  const stripe = mockStripe();
  const sent = jest.spyOn(stripe.charges, 'create');
  const { reconciler, lines } = reconcilerWith(stripe);
  const { order } = await orderFor({ price: 12.5 });
  const { paymentId } = await crashedAttempt(order, 'tok_visa');

  const [settled] = await reconciler.runOnce();

  expect(settled).toMatchObject({ outcome: 'succeeded' });
  expect(sent.mock.calls).toEqual([
    [{ amount: 1250, currency: 'usd', source: 'tok_visa', metadata: { orderId: order.id } }, { idempotencyKey: order.id }],
  ]);
  const payment = await paymentOf(order.id);
  expect(payment).toMatchObject({ status: PaymentStatus.Succeeded, paymentId, stripeId: expect.stringMatching(/^ch_/) });
  const bus = await sendOutbox();
  expect(bus.events<PaymentCreatedEvent>(Subjects.PaymentCreated)).toEqual([
    { id: paymentId, orderId: order.id, stripeId: payment!.stripeId },
  ]);
  expect(lines).toContainEqual(expect.objectContaining({ msg: 'payment reconciled', orderId: order.id, outcome: 'succeeded' }));
  expect(await OpenPayment.findById(order.id)).toBeNull();
});

it('when markers were left by a crash after the payment was settled or before it was stored, then the reconciler removes them without calling Stripe', async () => {
  const stripe = stubStripe();
  const { reconciler } = reconcilerWith(stripe);
  const { order: settled } = await orderFor();
  await crashedAttempt(settled);
  await Payment.updateOne({ _id: settled.id }, { $set: { status: PaymentStatus.Succeeded, stripeId: 'ch_done' } });
  const { order: neverStored } = await orderFor();
  const old = new Date(Date.now() - 60_000);
  await OpenPayment.create({ _id: neverStored.id, paymentId: 'p-lost', openedAt: old });

  await reconciler.runOnce();

  expect(stripe.charges.create).not.toHaveBeenCalled();
  expect(await OpenPayment.find().lean()).toEqual([]);
  expect(await paymentOf(settled.id)).toMatchObject({ status: PaymentStatus.Succeeded });
});

it('when the replay is declined, then the payment is failed with payment:failed', async () => {
  const { reconciler } = reconcilerWith(stubStripe(cardDeclined()));
  const { order } = await orderFor();
  const { paymentId } = await crashedAttempt(order);

  await reconciler.runOnce();

  expect(await paymentOf(order.id)).toMatchObject({ status: PaymentStatus.Failed, failureReason: 'Your card was declined.' });
  const bus = await sendOutbox();
  expect(bus.events<PaymentFailedEvent>(Subjects.PaymentFailed)).toEqual([
    { id: paymentId, orderId: order.id, reason: 'Your card was declined.' },
  ]);
});

it('when Stripe is still unreachable, then the payment stays pending, nothing is published and it is not replayed again before the threshold', async () => {
  const stripe = stubStripe(stripeDown());
  const { reconciler, lines } = reconcilerWith(stripe);
  const { order } = await orderFor();
  await crashedAttempt(order);
  await sendOutbox();

  await reconciler.runOnce();
  await reconciler.runOnce();

  expect(stripe.charges.create).toHaveBeenCalledTimes(1);
  expect(await paymentOf(order.id)).toMatchObject({ status: PaymentStatus.Pending });
  const marker = await OpenPayment.findById(order.id).lean();
  expect(marker!.openedAt.getTime()).toBeGreaterThan(Date.now() - 10_000);
  expect(await sentSubjects()).toEqual([]);
  expect(lines).toContainEqual(expect.objectContaining({ msg: 'payment still open, will retry', orderId: order.id }));
});

it('when the order was cancelled while the payment was pending, then the replay refunds the charge once with payment:refunded and no payment:created', async () => {
  const stripe = stubStripe();
  const { reconciler } = reconcilerWith(stripe);
  const { order } = await orderFor({ status: OrderStatus.Cancelled, version: 1 });
  const { paymentId } = await crashedAttempt(order);
  await Payment.updateOne({ _id: order.id }, { $set: { orderCancelled: true } }, { timestamps: false });

  await reconciler.runOnce();
  await reconciler.runOnce();

  expect(stripe.refunds.create).toHaveBeenCalledTimes(1);
  expect(await paymentOf(order.id)).toMatchObject({ status: PaymentStatus.Refunded, refund: { id: 're_stub', amount: 2000 } });
  const bus = await sendOutbox();
  expect(bus.allEnvelopes().map((e) => e.subject)).toEqual([Subjects.PaymentStarted, Subjects.PaymentRefunded]);
  expect(bus.events<PaymentRefundedEvent>(Subjects.PaymentRefunded)).toEqual([
    { id: paymentId, orderId: order.id, stripeId: 'ch_stub', refundId: 're_stub', amount: 2000 },
  ]);
});

it('when a refund was left unconfirmed, then the reconciler refunds with the same key and marks it refunded', async () => {
  const stripe = stubStripe();
  const { reconciler } = reconcilerWith(stripe);
  const { order } = await orderFor();
  const { paymentId } = await crashedAttempt(order);
  await Payment.updateOne(
    { _id: order.id },
    { $set: { status: PaymentStatus.Refunding, stripeId: 'ch_kept', orderCancelled: true } },
    { timestamps: false },
  );

  await reconciler.runOnce();

  expect(stripe.refunds.create.mock.calls).toEqual([
    [
      { charge: 'ch_kept', amount: 2000, metadata: { orderId: order.id, paymentId } },
      { idempotencyKey: `refund:${paymentId}` },
    ],
  ]);
  expect(await paymentOf(order.id)).toMatchObject({ status: PaymentStatus.Refunded });
});

it('when a pending payment is recent, or its charge is in flight in this process, then the reconciler leaves it alone', async () => {
  const { stripe, called, release } = stripeHoldingCharges();
  const { reconciler, processor } = reconcilerWith(stripe, { olderThanMs: 0 });
  const { order: recent } = await orderFor();
  await crashedAttempt(recent, 'tok_visa', 0);
  const { order: inFlight } = await orderFor();
  const paying = processor.pay(inFlight, 'tok_visa', null, {});
  await called;

  const young = await new Reconciler(processor, captureLogger().logger, { olderThanMs: 60_000 }).runOnce();
  expect(young).toEqual([]);
  const pass = reconciler.runOnce(); // takes up the recent one (threshold 0) but not the one in flight
  release();
  await pass;
  await paying;

  expect(stripe.charges.create).toHaveBeenCalledTimes(2);
  expect(stripe.charges.create.mock.calls.map(([p]) => (p.metadata as { orderId: string }).orderId).sort()).toEqual([recent.id, inFlight.id].sort());
});

it('when started, then it settles at once and on every interval, and after stop it takes up nothing more', async () => {
  const stripe = stubStripe();
  const { logger } = captureLogger();
  const reconciler = new Reconciler(new PaymentProcessor(stripe, logger), logger, { olderThanMs: 0, intervalMs: 50 });
  const { order: first } = await orderFor();
  await crashedAttempt(first);
  const settled = async (orderId: string) => (await paymentOf(orderId))?.status === PaymentStatus.Succeeded;

  reconciler.start();
  try {
    await waitFor(() => settled(first.id), 5_000, 'the pass at start');
    const { order: second } = await orderFor();
    await crashedAttempt(second);
    await waitFor(() => settled(second.id), 5_000, 'a pass on the interval');
  } finally {
    await reconciler.stop();
  }
  const { order: after } = await orderFor();
  await crashedAttempt(after);
  await new Promise((r) => setTimeout(r, 300));

  expect(await paymentOf(after.id)).toMatchObject({ status: PaymentStatus.Pending });
  expect(stripe.charges.create).toHaveBeenCalledTimes(2);
});
