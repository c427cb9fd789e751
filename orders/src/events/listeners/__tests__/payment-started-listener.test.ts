import request from 'supertest';
import { ExpirationCompleteEvent, Subjects } from '@ticketing/common';
import { captureLogger, envelopeOf, InMemoryBus, newId } from '@ticketing/common/testing';
import { ActiveHold } from '../../../models/active-hold';
import { HoldSweeper } from '../../../hold-sweeper';
import { cancelOrder, Order } from '../../../models/order';
import { inSeconds, makeOverdue, paymentEvents, placeOrder, sentEvents, testApp } from '../../../test/helpers';
import { ExpirationCompleteListener } from '../expiration-complete-listener';
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
    expiration: new ExpirationCompleteListener(bus, logger),
  };
}
const stored = async (id: string) => (await Order.findById(id))!;

describe('PaymentStartedListener', () => {
  afterEach(() => jest.restoreAllMocks());

  it('when a payment starts for a held order, delivered twice, then holdUntil is stored once, the version stays 0, the order shows a pending payment and nothing is published', async () => {
    const { app } = testApp();
    const { orderId, who } = await placeOrder(app);
    const { started, lines } = setup();
    const holdUntil = inSeconds(60);
    const event = paymentEvents.started(orderId, holdUntil);
    // The first delivery is one conditional write: it reads no order first.
    const reads = jest.spyOn(Order.collection, 'findOne');

    expect(await started.handle(event)).toBe('acked');
    expect(reads).not.toHaveBeenCalled();
    expect(await started.handle(event)).toBe('acked');
    reads.mockRestore();

    const order = await stored(orderId);
    expect(order).toMatchObject({ status: 'created', version: 0, holdUntil, payment: { id: event.data.id, status: 'pending', holdUntil } });
    expect((await sentEvents()).published).toEqual([]);
    const shown = await request(app).get(`/api/orders/${orderId}`).set('Cookie', who.cookie).expect(200);
    expect(shown.body).toMatchObject({ status: 'created', version: 0, payment: { status: 'pending' } });
    expect(shown.body.holdUntil).toBeUndefined();
    expect(lines.filter((l) => l.msg === 'hold extended while the payment is in flight')).toEqual([
      expect.objectContaining({ orderId, paymentId: event.data.id, holdUntil: holdUntil.toISOString() }),
    ]);
  });

  it('when a payment extends the hold past its window, then the marker stays early (no write of its own); when it comes due, the sweeper moves it to holdUntil and the order stays held', async () => {
    const { order, orderId } = await placeOrder(testApp(30).app);
    const { started } = setup();
    const marker = async () => (await ActiveHold.findById(orderId).lean())!.endsAt;
    const holdUntil = inSeconds(60);
    const markerWrites = jest.spyOn(ActiveHold, 'updateOne');

    expect(await started.handle(paymentEvents.started(orderId, holdUntil))).toBe('acked');
    expect(markerWrites).not.toHaveBeenCalled();
    expect(await marker()).toEqual(new Date(order.expiresAt));
    expect(await stored(orderId)).toMatchObject({ holdUntil });
    markerWrites.mockRestore();

    // The window runs out while the payment is in flight: the marker comes due.
    await Order.updateOne({ _id: orderId }, { $set: { expiresAt: inSeconds(-1) } });
    await ActiveHold.updateOne({ _id: orderId }, { $set: { endsAt: inSeconds(-1) } });
    expect(await new HoldSweeper(captureLogger().logger, { intervalMs: 60_000 }).sweep()).toBe(0);

    expect(await marker()).toEqual(holdUntil);
    expect(await stored(orderId)).toMatchObject({ status: 'created', version: 0 });
    expect((await sentEvents()).published).toEqual([]);
  });

  it('when payment:failed follows payment:started, then the extension is gone and the marker ends at expiresAt', async () => {
    const { order, orderId } = await placeOrder(testApp(30).app);
    const { started, failed } = setup();
    const paymentId = newId();

    expect(await started.handle(paymentEvents.started(orderId, inSeconds(60), paymentId))).toBe('acked');
    expect(await failed.handle(paymentEvents.failed(orderId, paymentId))).toBe('acked');

    const now = (await Order.findById(orderId))!;
    expect(now.holdUntil).toBeUndefined();
    expect(now).toMatchObject({ status: 'created', payment: { status: 'failed' } });
    expect(await ActiveHold.findById(orderId).lean()).toEqual({ _id: orderId, endsAt: new Date(order.expiresAt) });
  });

  it('when the hold window is over but the payment extended it, then expiration:complete leaves the order until holdUntil', async () => {
    const { orderId } = await placeOrder(testApp().app);
    const { started, expiration, lines } = setup();
    await started.handle(paymentEvents.started(orderId, inSeconds(60)));
    await makeOverdue(orderId);

    expect(await expiration.handle(envelopeOf<ExpirationCompleteEvent>(Subjects.ExpirationComplete, { orderId }))).toBe('acked');

    expect(await stored(orderId)).toMatchObject({ status: 'created', version: 0 });
    expect((await sentEvents()).published).toEqual([]);
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'expiration before the hold is over: left to the sweeper or the payment outcome', orderId, extended: true }),
    );
  });

  it('when payment:started lands between a cancel\'s read and its compare-and-set, then the cancel misses and the order stays held', async () => {
    const { orderId } = await placeOrder(testApp().app);
    await makeOverdue(orderId);
    const { started, expiration } = setup();
    // The expiration reads the overdue, unextended order; before it writes, the payment starts.
    const realFindById = Order.findById.bind(Order);
    jest.spyOn(Order, 'findById').mockImplementationOnce(((id: string) =>
      (async () => {
        const stale = await realFindById(id);
        expect(await started.handle(paymentEvents.started(orderId, inSeconds(60)))).toBe('acked');
        return stale;
      })()) as never);

    expect(await expiration.handle(envelopeOf<ExpirationCompleteEvent>(Subjects.ExpirationComplete, { orderId }))).toBe('acked');

    expect(await stored(orderId)).toMatchObject({ status: 'created', version: 0, payment: { status: 'pending' } });
    expect((await sentEvents()).published).toEqual([]);
  });

  it('when payment:started arrives for a cancelled order, then it is acked and changes nothing', async () => {
    const { orderId } = await placeOrder(testApp().app);
    await cancelOrder(orderId, {});
    await sentEvents();
    const { started, lines } = setup();

    expect(await started.handle(paymentEvents.started(orderId, inSeconds(60)))).toBe('acked');

    const order = await stored(orderId);
    expect(order).toMatchObject({ status: 'cancelled', version: 1 });
    expect(order.holdUntil).toBeUndefined();
    expect(order.payment).toBeUndefined();
    expect((await sentEvents()).published).toEqual([]);
    expect(lines).toContainEqual(expect.objectContaining({ msg: expect.stringMatching(/^payment:started ignored/), orderId, status: 'cancelled' }));
  });

  it('when payment:started is redelivered after the payment was paid, then the order stays complete and unextended', async () => {
    const { orderId } = await placeOrder(testApp().app);
    const { started, paid } = setup();
    const paymentId = newId();
    const start = paymentEvents.started(orderId, inSeconds(60), paymentId);
    await started.handle(start);
    await paid.handle(paymentEvents.created(orderId, paymentId));

    expect(await started.handle(start)).toBe('acked');

    expect(await stored(orderId)).toMatchObject({ status: 'complete', version: 1, payment: { id: paymentId, status: 'paid' } });
  });

  it('when payment:started arrives after its own payment:failed (out of order), then the hold is not extended again', async () => {
    const { orderId } = await placeOrder(testApp().app);
    const { started, failed } = setup();
    const paymentId = newId();
    const start = paymentEvents.started(orderId, inSeconds(60), paymentId);

    expect(await failed.handle(paymentEvents.failed(orderId, paymentId, 'card declined'))).toBe('acked');
    expect(await started.handle(start)).toBe('acked');

    const order = await stored(orderId);
    expect(order.holdUntil).toBeUndefined();
    expect(order).toMatchObject({ status: 'created', version: 0, payment: { status: 'failed', reason: 'card declined' } });
  });

  it('when payment:started is redelivered after its payment:failed, then it stays failed; a later attempt extends the hold again', async () => {
    const { orderId } = await placeOrder(testApp().app);
    const { started, failed } = setup();
    const paymentId = newId();
    const first = paymentEvents.started(orderId, inSeconds(60), paymentId);
    await started.handle(first);
    await failed.handle(paymentEvents.failed(orderId, paymentId));

    expect(await started.handle(first)).toBe('acked');
    expect((await stored(orderId)).holdUntil).toBeUndefined();
    expect(await stored(orderId)).toMatchObject({ payment: { status: 'failed' } });

    const second = paymentEvents.started(orderId, inSeconds(120), paymentId);
    expect(await started.handle(second)).toBe('acked');
    expect(await stored(orderId)).toMatchObject({ holdUntil: new Date(second.data.holdUntil), payment: { status: 'pending' }, version: 0 });
  });

  it('when the order is unknown, then the event is not acked', async () => {
    expect(await setup().started.handle(paymentEvents.started(newId(), inSeconds(60)))).toBe('retry');
  });
});
