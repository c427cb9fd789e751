import request from 'supertest';
import { ExpirationCompleteEvent, Subjects, TicketCreatedEvent, TicketUpdatedEvent } from '@ticketing/common';
import { captureLogger, envelopeOf, InMemoryBus, newId } from '@ticketing/common/testing';
import { cancelOrder } from '../models/order';
import { recordUserOrder } from '../models/user-orders';
import { ExpirationCompleteListener } from '../events/listeners/expiration-complete-listener';
import { PaymentCreatedListener } from '../events/listeners/payment-created-listener';
import { PaymentFailedListener } from '../events/listeners/payment-failed-listener';
import { PaymentRefundedListener } from '../events/listeners/payment-refunded-listener';
import { PaymentStartedListener } from '../events/listeners/payment-started-listener';
import { TicketCreatedListener } from '../events/listeners/ticket-created-listener';
import { TicketUpdatedListener } from '../events/listeners/ticket-updated-listener';
import { buyer, createTicket, DbOp, inSeconds, isIdLookup, makeOverdue, opsOf, paymentEvents, placeOrder, testApp } from '../test/helpers';

const expectIdLookupsOnly = (ops: DbOp[]) => {
  expect(ops.length).toBeGreaterThan(0);
  expect(ops.filter((op) => !isIdLookup(op))).toEqual([]);
};

const l = <T>(Ctor: new (bus: InMemoryBus, logger: ReturnType<typeof captureLogger>['logger']) => T) =>
  new Ctor(new InMemoryBus(), captureLogger().logger);

describe('hot path: _id lookups only', () => {
  it('when an order is placed, shown and cancelled, then every query is an _id lookup or an insert', async () => {
    const { app } = testApp();
    const { orderId, ticket, who } = await placeOrder(app);

    const fresh = await createTicket();
    expectIdLookupsOnly(await opsOf(() => request(app).post('/api/orders').set('Cookie', buyer().cookie).send({ ticketId: fresh.id }).expect(201)));
    // Refused by the lock, with the holder looked up (by _id) and found still held.
    expectIdLookupsOnly(await opsOf(() => request(app).post('/api/orders').set('Cookie', buyer().cookie).send({ ticketId: ticket.id }).expect(400)));
    expectIdLookupsOnly(await opsOf(() => request(app).get(`/api/orders/${orderId}`).set('Cookie', who.cookie).expect(200)));
    await makeOverdue(orderId);
    // Refused by the lock, the overdue holder cancelled and the reservation retried.
    expectIdLookupsOnly(await opsOf(() => request(app).post('/api/orders').set('Cookie', buyer().cookie).send({ ticketId: ticket.id }).expect(201)));
    expectIdLookupsOnly(await opsOf(() => request(app).delete(`/api/orders/${orderId}`).set('Cookie', who.cookie).expect(204)));
  });

  it('when a user lists their orders, with an id whose insert failed among them, then only _id lookups: the page and one more in one _id $in read', async () => {
    const { app } = testApp();
    const who = buyer();
    await placeOrder(app, who);
    await placeOrder(app, who);
    await placeOrder(app); // someone else's
    await recordUserOrder(who.id, newId()); // pushed, never inserted

    const ops = await opsOf(() => request(app).get('/api/orders?limit=1').set('Cookie', who.cookie).expect(200));
    expectIdLookupsOnly(ops);
    const onOrders = ops.filter((op) => op.collection === 'orders');
    // limit=1: the page's order and the missing id first, then the one after the page.
    expect(onOrders.map((op) => op.method)).toEqual(['find', 'find']);
    expect(onOrders.every((op) => Object.keys(op.filter!).join() === '_id' && Array.isArray((op.filter!._id as { $in: unknown[] }).$in))).toBe(true);
  });

  it('when every listener handles its event, then every query is an _id lookup or an insert', async () => {
    const { app } = testApp();
    const ticketId = newId();
    const ticket = { id: ticketId, version: 0, title: 'T', price: 10, userId: newId() };
    expectIdLookupsOnly(await opsOf(() => l(TicketCreatedListener).handle(envelopeOf<TicketCreatedEvent>(Subjects.TicketCreated, ticket))));
    expectIdLookupsOnly(
      await opsOf(() => l(TicketUpdatedListener).handle(envelopeOf<TicketUpdatedEvent>(Subjects.TicketUpdated, { ...ticket, version: 1 }))),
    );

    const { orderId } = await placeOrder(app);
    const paymentId = newId();
    expectIdLookupsOnly(await opsOf(() => l(PaymentStartedListener).handle(paymentEvents.started(orderId, inSeconds(60), paymentId))));
    expectIdLookupsOnly(
      await opsOf(() => l(ExpirationCompleteListener).handle(envelopeOf<ExpirationCompleteEvent>(Subjects.ExpirationComplete, { orderId }))),
    );
    await makeOverdue(orderId);
    expectIdLookupsOnly(await opsOf(() => l(PaymentFailedListener).handle(paymentEvents.failed(orderId, paymentId))));
    expectIdLookupsOnly(await opsOf(() => l(PaymentRefundedListener).handle(paymentEvents.refunded(orderId, paymentId))));

    const paid = await placeOrder(app);
    expectIdLookupsOnly(await opsOf(() => l(PaymentCreatedListener).handle(paymentEvents.created(paid.orderId))));
    await cancelOrder(paid.orderId, {});
  });
});
