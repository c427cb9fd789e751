import request from 'supertest';
import {
  NatsBus,
  OrderCreatedEvent,
  OrderStatus,
  OutboxRelay,
  PaymentCreatedEvent,
  Publisher,
  Subjects,
} from '@ticketing/common';
import { captureLogger, newId, signinCookie, unique, waitFor } from '@ticketing/common/testing';
import { OrderCreatedListener } from '../events/listeners/order-created-listener';
import { Order } from '../models/order';
import { Payment } from '../models/payment';
import { testApp } from '../test/helpers';

// The whole event path on the real NATS Streaming server and the real stripe-mock.
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4223';
const NATS_CLUSTER_ID = process.env.NATS_CLUSTER_ID ?? 'ticketing';

class OrderCreatedPublisher extends Publisher<OrderCreatedEvent> {
  readonly subject = Subjects.OrderCreated;
}

// Its own durable group, so the test never takes messages from a running payments service.
class IsolatedOrderCreatedListener extends OrderCreatedListener {
  override readonly queueGroupName = unique('payments-test');
}

let bus: NatsBus;
const stops: (() => Promise<void>)[] = [];

beforeEach(async () => {
  bus = await NatsBus.connect({
    url: NATS_URL,
    clusterId: NATS_CLUSTER_ID,
    clientId: unique('payments-test'),
    logger: captureLogger().logger,
    connectTimeoutMs: 5_000,
  });
});

afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  await bus.close();
});

it('when order:created comes over the bus and the owner pays, then payment:created goes out on the bus', async () => {
  const { logger } = captureLogger();
  const listener = new IsolatedOrderCreatedListener(bus, logger).listen();
  stops.push(() => listener.close());
  const relay = new OutboxRelay(bus, [Payment], logger, { pollIntervalMs: 500 }).start();
  stops.push(() => relay.stop());
  const received: PaymentCreatedEvent['data'][] = [];
  const collector = bus.subscribe(
    { subject: Subjects.PaymentCreated, queueGroup: unique('collect'), ackWaitMs: 5_000, maxInFlight: 100 },
    (delivery) => {
      received.push(JSON.parse(delivery.raw).data);
      delivery.ack();
    },
  );
  stops.push(() => collector.close());

  const userId = newId();
  const orderId = newId();
  await new OrderCreatedPublisher(bus).publish({
    id: orderId,
    version: 0,
    status: OrderStatus.Created,
    userId,
    expiresAt: new Date(Date.now() + 60_000).toISOString(),
    ticket: { id: newId(), price: 35 },
  });
  await waitFor(() => Order.exists({ _id: orderId }), 10_000, 'the order replica');

  const { app } = testApp();
  const res = await request(app)
    .post('/api/payments')
    .set('Cookie', signinCookie({ id: userId }))
    .send({ token: 'tok_visa', orderId })
    .expect(201);

  const event = await waitFor(() => received.find((e) => e.orderId === orderId), 10_000, 'payment:created');
  expect(event).toEqual({ id: res.body.id, orderId, stripeId: expect.stringMatching(/^ch_/) });
  const payment = await Payment.findById(orderId).lean();
  expect(payment).toMatchObject({ paymentId: res.body.id, amount: 3500, stripeId: event.stripeId });
  // Sent, so no longer pending.
  await waitFor(async () => (await Payment.findById(orderId).lean())?.outbox.length === 0, 10_000, 'the outbox to empty');
});
