import mongoose from 'mongoose';
import request from 'supertest';
import { OrderCancelledEvent, Subjects } from '@ticketing/common';
import { captureLogger, InMemoryBus, newId, waitFor } from '@ticketing/common/testing';
import { HoldSweeper } from '../hold-sweeper';
import { ActiveHold } from '../models/active-hold';
import { cancelOrder, Order } from '../models/order';
import { PaymentStartedListener } from '../events/listeners/payment-started-listener';
import { buyer, inSeconds, isIdLookup, makeOverdue, opsOf, paymentEvents, placeOrder, sentEvents, testApp } from '../test/helpers';

const extend = (orderId: string, holdUntil: Date) =>
  new PaymentStartedListener(new InMemoryBus(), captureLogger().logger).handle(paymentEvents.started(orderId, holdUntil));

function sweeper(intervalMs = 60_000, batchSize?: number) {
  const { logger, lines } = captureLogger();
  return { sweeper: new HoldSweeper(logger, { intervalMs, batchSize }), lines };
}

/**
 * `count` orders that are over and done (half paid, half cancelled, holds ended an hour
 * ago), stored straight into the collection as years of trading leave them: no markers.
 */
async function storeFinishedOrders(count: number) {
  const longAgo = new Date(Date.now() - 3_600_000);
  for (let start = 0; start < count; start += 1_000) {
    const docs = Array.from({ length: Math.min(1_000, count - start) }, (_, i) => {
      const _id = new mongoose.Types.ObjectId();
      const paid = (start + i) % 2 === 0;
      return {
        _id,
        userId: newId(),
        status: paid ? 'complete' : 'cancelled',
        expiresAt: longAgo,
        ticket: { id: newId(), title: 'Concert', price: 20, version: 0 },
        ticketLock: paid ? newId() : `released:${_id.toHexString()}`,
        version: 1,
        outbox: [],
        createdAt: longAgo,
        ...(paid && { paymentId: newId(), payment: { id: newId(), status: 'paid' } }),
      };
    });
    await Order.collection.insertMany(docs);
  }
}

describe('HoldSweeper', () => {
  it('when holds are over (a plain one, and an extended one past its holdUntil), then both orders are cancelled with one order:cancelled each; running holds, paid and cancelled orders are left alone', async () => {
    const { app } = testApp();
    const overdue = await placeOrder(app);
    await makeOverdue(overdue.orderId);
    const extendedOver = await placeOrder(app);
    await extend(extendedOver.orderId, inSeconds(-1));
    await makeOverdue(extendedOver.orderId, 10_000);
    const extendedRunning = await placeOrder(app);
    await extend(extendedRunning.orderId, inSeconds(60));
    await makeOverdue(extendedRunning.orderId);
    const running = await placeOrder(app);
    const paid = await placeOrder(app);
    await Order.updateOne({ _id: paid.orderId }, { $set: { status: 'complete', version: 1 } });
    await makeOverdue(paid.orderId);
    const cancelled = await placeOrder(app);
    await cancelOrder(cancelled.orderId, {});
    await makeOverdue(cancelled.orderId);
    await sentEvents();
    const { sweeper: s, lines } = sweeper();

    expect(await s.sweep()).toBe(2);
    expect(await s.sweep()).toBe(0);

    for (const { orderId } of [overdue, extendedOver]) {
      expect(await Order.findById(orderId)).toMatchObject({ status: 'cancelled', version: 1, ticketLock: `released:${orderId}` });
    }
    for (const { orderId } of [extendedRunning, running]) expect(await Order.findById(orderId)).toMatchObject({ status: 'created', version: 0 });
    expect(await Order.findById(paid.orderId)).toMatchObject({ status: 'complete', version: 1 });
    expect(await Order.findById(cancelled.orderId)).toMatchObject({ status: 'cancelled', version: 1 });
    const bus = await sentEvents();
    expect(bus.events<OrderCancelledEvent>(Subjects.OrderCancelled).map((e) => e.id).sort()).toEqual([overdue.orderId, extendedOver.orderId].sort());
    expect(bus.published).toHaveLength(2);
    expect(bus.envelopes(Subjects.OrderCancelled)[0].meta).toMatchObject({ requestId: 'hold-sweeper', source: 'orders' });
    expect(lines.filter((l) => l.msg === 'hold over: order cancelled by the sweeper').map((l) => l.orderId).sort()).toEqual(
      [overdue.orderId, extendedOver.orderId].sort(),
    );
  });

  it('when more holds are over than one batch, then one sweep cancels them all', async () => {
    const { app } = testApp();
    const placed = [];
    for (let i = 0; i < 5; i++) placed.push(await placeOrder(app));
    for (const p of placed) await makeOverdue(p.orderId);

    expect(await sweeper(60_000, 2).sweeper.sweep()).toBe(5);
    expect(await Order.countDocuments({ status: 'cancelled' })).toBe(5);
  });

  it('when two sweepers (two orders replicas) run at once, then each overdue order is cancelled once', async () => {
    const { app } = testApp();
    const placed = [await placeOrder(app), await placeOrder(app), await placeOrder(app)];
    for (const p of placed) await makeOverdue(p.orderId);

    const counts = await Promise.all([sweeper().sweeper.sweep(), sweeper().sweeper.sweep()]);

    expect(counts[0] + counts[1]).toBe(3);
    expect((await sentEvents()).events(Subjects.OrderCancelled)).toHaveLength(3);
  });

  it('when a 5 s hold runs out with no expiration event, then the started sweeper cancels it within its interval, the ticket can be ordered again, and stop() ends the sweeping', async () => {
    const holdSeconds = 5;
    const { app } = testApp(holdSeconds);
    const first = await placeOrder(app);
    const { sweeper: s, lines } = sweeper(1_000);
    s.start();
    try {
      const second = buyer();
      // Still held: refused.
      await request(app).post('/api/orders').set('Cookie', second.cookie).send({ ticketId: first.ticket.id }).expect(400);
      await waitFor(async () => (await Order.findById(first.orderId))!.status === 'cancelled', 15_000, 'the sweeper to cancel');
      const cancelledAt = Date.now();
      const lateBy = cancelledAt - Date.parse(first.order.expiresAt);
      expect(lateBy).toBeGreaterThanOrEqual(0);
      expect(lateBy).toBeLessThan(3_000);

      const res = await request(app).post('/api/orders').set('Cookie', second.cookie).send({ ticketId: first.ticket.id }).expect(201);
      const shown = await request(app).get(`/api/orders/${first.orderId}`).set('Cookie', first.who.cookie).expect(200);
      expect(shown.body).toMatchObject({ status: 'cancelled', version: 1 });
      expect(lines).toContainEqual(expect.objectContaining({ msg: 'hold over: order cancelled by the sweeper', orderId: first.orderId }));

      await s.stop();
      await makeOverdue(res.body.id);
      await new Promise((r) => setTimeout(r, 1_500));
      expect(await Order.findById(res.body.id)).toMatchObject({ status: 'created' });
    } finally {
      await s.stop();
    }
  }, 30_000);

  it('when 2,000 finished orders are stored and three holds are over, then one sweep cancels exactly those three, and its only calls on the orders collection are _id lookups', async () => {
    await storeFinishedOrders(2_000);
    const { app } = testApp();
    const overdue = [await placeOrder(app), await placeOrder(app), await placeOrder(app)];
    for (const p of overdue) await makeOverdue(p.orderId);
    const running = await placeOrder(app);
    await sentEvents();
    const { sweeper: s } = sweeper();

    let cancelled = 0;
    const ops = await opsOf(async () => {
      cancelled = await s.sweep();
    });

    expect(cancelled).toBe(3);
    const orderOps = ops.filter((op) => op.collection === 'orders');
    expect(orderOps.length).toBeGreaterThan(0);
    expect(orderOps.filter((op) => !isIdLookup(op))).toEqual([]);
    // What it did query: the markers due now.
    expect(ops).toContainEqual(expect.objectContaining({ collection: 'activeholds', method: 'find', filter: { endsAt: { $lte: expect.any(Date) } } }));
    for (const { orderId } of overdue) expect(await Order.findById(orderId)).toMatchObject({ status: 'cancelled', version: 1 });
    expect(await Order.findById(running.orderId)).toMatchObject({ status: 'created', version: 0 });
    expect(await Order.countDocuments({ status: 'complete' })).toBe(1_000);
    expect(await Order.countDocuments({ status: 'cancelled' })).toBe(1_003);
    expect((await ActiveHold.find().lean()).map((m) => m._id)).toEqual([running.orderId]);
    expect((await sentEvents()).events<OrderCancelledEvent>(Subjects.OrderCancelled).map((e) => e.id).sort()).toEqual(
      overdue.map((p) => p.orderId).sort(),
    );
  }, 60_000);

  it('when a marker has no order (the process died between the two writes) or a paid one (its removal was lost), then the sweeper removes it and changes nothing else', async () => {
    const orphan = newId();
    await ActiveHold.create({ _id: orphan, endsAt: inSeconds(-1) });
    const { app } = testApp();
    const paid = await placeOrder(app);
    await Order.updateOne({ _id: paid.orderId }, { $set: { status: 'complete', version: 1 } });
    await makeOverdue(paid.orderId);
    const { sweeper: s, lines } = sweeper();

    expect(await s.sweep()).toBe(0);

    expect(await ActiveHold.countDocuments()).toBe(0);
    expect(await Order.findById(orphan)).toBeNull();
    expect(await Order.findById(paid.orderId)).toMatchObject({ status: 'complete', version: 1 });
    expect((await sentEvents()).published).toEqual([]);
    expect(lines.filter((l) => l.msg === 'hold marker of a finished or missing order removed').map((l) => [l.orderId, l.status])).toEqual(
      expect.arrayContaining([
        [orphan, 'missing'],
        [paid.orderId, 'complete'],
      ]),
    );
  });

  it('when a marker comes due while a payment in flight extends the hold, then the order stays held and the marker moves to holdUntil; once that passes, the sweeper cancels it', async () => {
    const { orderId } = await placeOrder(testApp().app);
    await makeOverdue(orderId);
    const holdUntil = inSeconds(60);
    await extend(orderId, holdUntil);
    // Early, as a crash between the extension and the marker's move leaves it.
    await ActiveHold.updateOne({ _id: orderId }, { $set: { endsAt: inSeconds(-1) } });
    const { sweeper: s } = sweeper();

    expect(await s.sweep()).toBe(0);
    expect(await Order.findById(orderId)).toMatchObject({ status: 'created', version: 0 });
    expect(await ActiveHold.findById(orderId).lean()).toEqual({ _id: orderId, endsAt: holdUntil });
    expect((await sentEvents()).published).toEqual([]);

    // Time passes: the extension runs out.
    await Order.updateOne({ _id: orderId }, { $set: { holdUntil: inSeconds(-1) } });
    await ActiveHold.updateOne({ _id: orderId }, { $set: { endsAt: inSeconds(-1) } });
    expect(await s.sweep()).toBe(1);
    expect(await Order.findById(orderId)).toMatchObject({ status: 'cancelled', version: 1 });
    expect(await ActiveHold.findById(orderId)).toBeNull();
  });

  it('when the sweeper queries its markers, then real MongoDB has the {endsAt} index to serve it, and the orders keep no index for it', async () => {
    expect((await ActiveHold.collection.indexes()).map((i) => i.key)).toContainEqual({ endsAt: 1 });
    expect((await Order.collection.indexes()).map((i) => i.key)).not.toContainEqual({ status: 1, expiresAt: 1 });
  });
});
