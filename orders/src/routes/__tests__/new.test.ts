import http from 'node:http';
import request from 'supertest';
import { OrderCancelledEvent, OrderCreatedEvent, REPLICA_WAIT, Subjects, TicketCreatedEvent } from '@ticketing/common';
import { captureLogger, envelopeOf, InMemoryBus, newId } from '@ticketing/common/testing';
import { ActiveHold } from '../../models/active-hold';
import { HoldSweeper } from '../../hold-sweeper';
import { Order } from '../../models/order';
import { Ticket } from '../../models/ticket';
import { PaymentStartedListener } from '../../events/listeners/payment-started-listener';
import { TicketCreatedListener } from '../../events/listeners/ticket-created-listener';
import { buyer, createTicket, HOLD_SECONDS, inSeconds, makeOverdue, paymentEvents, placeOrder, reportTicketHeld, sentEvents, testApp } from '../../test/helpers';

const post = (app: ReturnType<typeof testApp>['app'], cookie: string[] | undefined, body: unknown) => {
  const req = request(app).post('/api/orders');
  if (cookie) req.set('Cookie', cookie);
  return req.send(body as object);
};

describe('POST /api/orders', () => {
  it('when not signed in, then 401 and nothing is stored', async () => {
    const ticket = await createTicket();
    const res = await post(testApp().app, undefined, { ticketId: ticket.id }).expect(401);
    expect(res.body).toEqual({ errors: [{ message: 'Not authorized' }] });
    expect(await Order.countDocuments()).toBe(0);
  });

  it('when ticketId is missing, then 400 naming the field', async () => {
    const res = await post(testApp().app, buyer().cookie, {}).expect(400);
    expect(res.body).toEqual({ errors: [{ message: 'TicketId must be provided', field: 'ticketId' }] });
  });

  it.each([
    ['not an object id', 'abc'],
    ['empty', ''],
    ['an id with a trailing space', `${newId()} `],
    ['a number', 123],
    ['null', null],
    ['a boolean', true],
    ['an array of an id', [newId()]],
    ['an object', { id: newId() }],
  ])('when ticketId is %s, then 400 "TicketId must be provided" (our choice for a malformed id in a body)', async (_name, ticketId) => {
    const res = await post(testApp().app, buyer().cookie, { ticketId }).expect(400);
    expect(res.body).toEqual({ errors: [{ message: 'TicketId must be provided', field: 'ticketId' }] });
  });

  it('when ticketId is a query operator, then 400 and no lookup runs with it', async () => {
    await createTicket();
    const res = await post(testApp().app, buyer().cookie, { ticketId: { $ne: '' } }).expect(400);
    expect(res.body).toEqual({ errors: [{ message: 'Invalid input', field: 'ticketId' }] });
    expect(await Order.countDocuments()).toBe(0);
  });

  it('when the body is not JSON, then 400 and not 500', async () => {
    const res = await request(testApp().app)
      .post('/api/orders')
      .set('Cookie', buyer().cookie)
      .set('Content-Type', 'application/json')
      .send('{"ticketId": ')
      .expect(400);
    expect(res.body.errors[0].message).toBe('Malformed JSON body');
  });

  it('when the ticket is unknown (an id minted in 2020: nothing can be on its way), then 404 at once', async () => {
    const res = await post(testApp().app, buyer().cookie, { ticketId: '5e0be1000000000000000000' }).expect(404);
    expect(res.body).toEqual({ errors: [{ message: 'Not Found' }] });
  });

  it('when the ticket was listed a moment ago and its ticket:created is still on its way, then the order waits for it (201), not 404', async () => {
    const ticketId = newId();
    const ordering = post(testApp().app, buyer().cookie, { ticketId }).then((r) => r);
    await new Promise((r) => setTimeout(r, 200));
    const created = envelopeOf<TicketCreatedEvent>(Subjects.TicketCreated, { id: ticketId, version: 0, title: 'Just listed', price: 30, userId: newId() });
    expect(await new TicketCreatedListener(new InMemoryBus(), captureLogger().logger).handle(created)).toBe('acked');

    const res = await ordering;
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'created', ticket: { id: ticketId, title: 'Just listed', price: 30 } });
    expect(await Order.countDocuments({ ticketLock: ticketId })).toBe(1);
  });

  it('when a recent ticket id never arrives, then 404 after the bounded wait, and nothing is stored', async () => {
    const saved = REPLICA_WAIT.timeoutMs;
    REPLICA_WAIT.timeoutMs = 300;
    try {
      const started = Date.now();
      const res = await post(testApp().app, buyer().cookie, { ticketId: newId() }).expect(404);
      expect(Date.now() - started).toBeGreaterThanOrEqual(300);
      expect(res.body).toEqual({ errors: [{ message: 'Not Found' }] });
      expect(await Order.countDocuments()).toBe(0);
      expect(await ActiveHold.countDocuments()).toBe(0);
    } finally {
      REPLICA_WAIT.timeoutMs = saved;
    }
  });

  it('when the buyer is the seller, then 400 "You cannot buy your own ticket" and no order or event', async () => {
    const seller = buyer();
    const ticket = await createTicket({ userId: seller.id });
    const res = await post(testApp().app, seller.cookie, { ticketId: ticket.id }).expect(400);
    expect(res.body).toEqual({ errors: [{ message: 'You cannot buy your own ticket' }] });
    expect(await Order.countDocuments()).toBe(0);
    expect((await sentEvents()).published).toEqual([]);
  });

  it('when the ticket is free, then 201 with the order, the order stored and order:created stored with it', async () => {
    const ticket = await createTicket({ title: 'Opera', price: 42.5, version: 3 });
    const who = buyer();
    const before = Date.now();
    const res = await post(testApp().app, who.cookie, { ticketId: ticket.id }).expect(201);

    expect(res.body).toEqual({
      id: expect.any(String),
      userId: who.id,
      status: 'created',
      expiresAt: expect.any(String),
      ticket: { id: ticket.id, title: 'Opera', price: 42.5, version: 3 },
      version: 0,
    });
    const hold = Date.parse(res.body.expiresAt) - before;
    expect(hold).toBeGreaterThanOrEqual(HOLD_SECONDS * 1000 - 50);
    expect(hold).toBeLessThan(HOLD_SECONDS * 1000 + 5_000);

    const stored = await Order.findById(res.body.id);
    expect(stored).toMatchObject({ userId: who.id, status: 'created', version: 0, ticketLock: ticket.id });
    expect(stored!.outbox).toHaveLength(1);
    // The hold's marker, for the sweeper.
    expect(await ActiveHold.find().lean()).toEqual([{ _id: res.body.id, endsAt: new Date(res.body.expiresAt) }]);

    const bus = await sentEvents();
    expect(bus.events<OrderCreatedEvent>(Subjects.OrderCreated)).toEqual([
      {
        id: res.body.id,
        version: 0,
        status: 'created',
        userId: who.id,
        expiresAt: res.body.expiresAt,
        ticket: { id: ticket.id, price: 42.5 },
      },
    ]);
    expect(bus.published).toHaveLength(1);
    expect(bus.envelopes(Subjects.OrderCreated)[0].meta).toMatchObject({
      requestId: res.headers['x-request-id'],
      source: 'orders',
    });
  });

  it('when the app is built with another hold window, then expiresAt follows it', async () => {
    const ticket = await createTicket();
    const before = Date.now();
    const res = await post(testApp(60).app, buyer().cookie, { ticketId: ticket.id }).expect(201);
    const hold = Date.parse(res.body.expiresAt) - before;
    expect(hold).toBeGreaterThanOrEqual(60_000 - 50);
    expect(hold).toBeLessThan(65_000);
  });

  it('when the ticket already has an active order, then 400 "Ticket is already reserved" and only the first order and event exist', async () => {
    const { app } = testApp();
    const ticket = await createTicket();
    await post(app, buyer().cookie, { ticketId: ticket.id }).expect(201);
    const res = await post(app, buyer().cookie, { ticketId: ticket.id }).expect(400);
    expect(res.body).toEqual({ errors: [{ message: 'Ticket is already reserved' }] });
    expect(await Order.countDocuments()).toBe(1);
    expect((await sentEvents()).events(Subjects.OrderCreated)).toHaveLength(1);
  });

  it('when 25 buyers ask for one ticket at once, then exactly one 201 and 24 × "Ticket is already reserved"', async () => {
    const server = http.createServer(testApp().app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const ticket = await createTicket();
      const responses = await Promise.all(
        Array.from({ length: 25 }, () => post(server as never, buyer().cookie, { ticketId: ticket.id })),
      );
      const statuses = responses.map((r) => r.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      const refused = responses.filter((r) => r.status !== 201);
      expect(refused).toHaveLength(24);
      for (const r of refused) expect(r.body).toEqual({ errors: [{ message: 'Ticket is already reserved' }] });

      const winner = responses.find((r) => r.status === 201)!;
      expect(await Order.find({ ticketLock: ticket.id }).countDocuments()).toBe(1);
      expect(await Order.countDocuments()).toBe(1);
      // Each refused reservation removed the marker it wrote.
      expect((await ActiveHold.find().lean()).map((m) => m._id)).toEqual([winner.body.id]);
      expect((await sentEvents()).events<OrderCreatedEvent>(Subjects.OrderCreated).map((e) => e.id)).toEqual([winner.body.id]);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('when the order insert fails after the hold marker was written (as if the process died between them), then no order exists, the marker does, and the sweeper removes it once it is due', async () => {
    const { app, lines } = testApp(5);
    const ticket = await createTicket();
    // The order is inserted through the driver (common insertDocument).
    jest.spyOn(Order.collection, 'insertOne').mockRejectedValueOnce(new Error('connection reset') as never);

    await post(app, buyer().cookie, { ticketId: ticket.id }).expect(500);

    expect(await Order.countDocuments()).toBe(0);
    const [marker, ...more] = await ActiveHold.find().lean();
    expect(more).toEqual([]);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'unhandled error', err: expect.objectContaining({ message: 'connection reset' }) }));
    const sweeper = new HoldSweeper(captureLogger().logger, { intervalMs: 60_000 });
    expect(await sweeper.sweep(new Date(marker.endsAt.getTime() - 1))).toBe(0);
    expect(await ActiveHold.countDocuments()).toBe(1);
    expect(await sweeper.sweep(marker.endsAt)).toBe(0);
    expect(await ActiveHold.countDocuments()).toBe(0);
    expect((await sentEvents()).published).toEqual([]);
  });

  it('when the order on a ticket was cancelled, then another buyer can reserve it', async () => {
    const { app } = testApp();
    const ticket = await createTicket();
    const first = buyer();
    const { body: order } = await post(app, first.cookie, { ticketId: ticket.id }).expect(201);
    await request(app).delete(`/api/orders/${order.id}`).set('Cookie', first.cookie).expect(204);

    const res = await post(app, buyer().cookie, { ticketId: ticket.id }).expect(201);
    expect(res.body.id).not.toBe(order.id);
    expect(await Order.find({ ticketLock: ticket.id }).countDocuments()).toBe(1);
  });

  it('when the ticket was paid for, then it stays reserved', async () => {
    const { app } = testApp();
    const ticket = await createTicket();
    const { body: order } = await post(app, buyer().cookie, { ticketId: ticket.id }).expect(201);
    await Order.updateOne({ _id: order.id }, { $set: { status: 'complete', version: 1 } });

    const res = await post(app, buyer().cookie, { ticketId: ticket.id }).expect(400);
    expect(res.body).toEqual({ errors: [{ message: 'Ticket is already reserved' }] });
  });
});

describe('POST /api/orders when the ticket is held by an order whose hold is over (expiration lost)', () => {
  it('when an order is placed, then the route writes nothing to the ticket replica; once tickets reports the reservation, the replica names the holder, and none after the release', async () => {
    const ticket = await createTicket();
    const { body: order } = await post(testApp().app, buyer().cookie, { ticketId: ticket.id }).expect(201);
    expect((await Ticket.findById(ticket.id))!.toObject()).toEqual(ticket.toObject());

    expect(await reportTicketHeld(ticket.id, order.id)).toBe('acked');
    expect(await Ticket.findById(ticket.id)).toMatchObject({ heldBy: order.id, version: 1 });
    expect(await reportTicketHeld(ticket.id, undefined)).toBe('acked');
    expect(await Ticket.findById(ticket.id)).toMatchObject({ heldBy: null, version: 2 });
  });

  it('when another buyer orders the ticket, then 201, the old order is cancelled (ticket released, order:cancelled) and the new one holds the ticket', async () => {
    const { app, lines } = testApp();
    const old = await placeOrder(app);
    await makeOverdue(old.orderId);
    const next = buyer();

    const res = await post(app, next.cookie, { ticketId: old.ticket.id }).expect(201);

    expect(res.body).toMatchObject({ userId: next.id, status: 'created', version: 0, ticket: { id: old.ticket.id } });
    expect(await Order.findById(old.orderId)).toMatchObject({ status: 'cancelled', version: 1, ticketLock: `released:${old.orderId}` });
    expect(await Order.findById(res.body.id)).toMatchObject({ status: 'created', ticketLock: old.ticket.id });
    const bus = await sentEvents();
    expect(bus.events<OrderCancelledEvent>(Subjects.OrderCancelled)).toEqual([{ id: old.orderId, version: 1, ticket: { id: old.ticket.id } }]);
    expect(bus.events<OrderCreatedEvent>(Subjects.OrderCreated).map((e) => e.id)).toEqual([res.body.id]);
    expect(bus.envelopes(Subjects.OrderCancelled)[0].meta).toMatchObject({ requestId: res.headers['x-request-id'], source: 'orders' });
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'hold over: order cancelled when its ticket was ordered again', orderId: old.orderId, ticketId: old.ticket.id }),
    );
    const shown = await request(app).get(`/api/orders/${old.orderId}`).set('Cookie', old.who.cookie).expect(200);
    expect(shown.body.status).toBe('cancelled');
  });

  it('when the old window ran out but a payment in flight extended the hold, then 400 "Ticket is already reserved" and the holder is untouched', async () => {
    const { app } = testApp();
    const old = await placeOrder(app);
    await new PaymentStartedListener(new InMemoryBus(), captureLogger().logger).handle(paymentEvents.started(old.orderId, inSeconds(60)));
    await makeOverdue(old.orderId);

    const res = await post(app, buyer().cookie, { ticketId: old.ticket.id }).expect(400);

    expect(res.body).toEqual({ errors: [{ message: 'Ticket is already reserved' }] });
    expect(await Order.findById(old.orderId)).toMatchObject({ status: 'created', version: 0 });
    expect(await Order.countDocuments()).toBe(1);
    expect((await sentEvents()).published).toEqual([]);
  });

  it('when 10 buyers race for a ticket whose holder is overdue, then exactly one 201, the holder is cancelled once and one order:created is stored', async () => {
    const server = http.createServer(testApp().app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const old = await placeOrder(testApp().app);
      await makeOverdue(old.orderId);
      const responses = await Promise.all(
        Array.from({ length: 10 }, () => post(server as never, buyer().cookie, { ticketId: old.ticket.id })),
      );
      expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
      for (const r of responses.filter((x) => x.status !== 201)) expect(r.body).toEqual({ errors: [{ message: 'Ticket is already reserved' }] });
      const winner = responses.find((r) => r.status === 201)!;
      expect(await Order.findById(old.orderId)).toMatchObject({ status: 'cancelled', version: 1 });
      expect(await Order.countDocuments()).toBe(2);
      // The cancelled holder's marker and the nine refused ones are gone.
      expect((await ActiveHold.find().lean()).map((m) => m._id)).toEqual([winner.body.id]);
      const bus = await sentEvents();
      expect(bus.events(Subjects.OrderCancelled)).toHaveLength(1);
      expect(bus.events<OrderCreatedEvent>(Subjects.OrderCreated).map((e) => e.id)).toEqual([winner.body.id]);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
