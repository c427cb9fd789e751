import type { Queue } from 'bullmq';
import {
  EventBus,
  EventEnvelope,
  ExpirationCompleteEvent,
  Logger,
  MessageContext,
  NatsBus,
  OrderCreatedEvent,
  Publisher,
  Subjects,
} from '@ticketing/common';
import { captureLogger, sleep, unique, waitFor } from '@ticketing/common/testing';
import { OrderCreatedListener } from '../events/listeners/order-created-listener';
import { ExpirationJobData } from '../queues/expiration-queue';
import { orderCreatedData, useTestQueues } from '../test/helpers';

// Against the real nats-streaming-server. Its channels keep every earlier message, other
// people's included, so this test listens in its own queue groups and acts only on its own
// orders: it never schedules, nor publishes expiration:complete for, an order it did not make.

class OrderCreatedPublisher extends Publisher<OrderCreatedEvent> {
  readonly subject = Subjects.OrderCreated;
}

class OwnOrdersListener extends OrderCreatedListener {
  constructor(
    bus: EventBus,
    logger: Logger,
    queue: Queue<ExpirationJobData>,
    override readonly queueGroupName: string,
    private readonly orderIds: Set<string>,
  ) {
    super(bus, logger, queue);
  }
  override async onMessage(data: OrderCreatedEvent['data'], ctx: MessageContext) {
    if (this.orderIds.has(data.id)) await super.onMessage(data, ctx);
  }
}

const queues = useTestQueues();
const buses: NatsBus[] = [];
const connectBus = async () => {
  const bus = await NatsBus.connect({
    url: process.env.NATS_URL!,
    clusterId: process.env.NATS_CLUSTER_ID!,
    clientId: unique('expiration-test'),
    logger: captureLogger().logger,
    connectTimeoutMs: 5_000,
  });
  buses.push(bus);
  return bus;
};
afterEach(async () => {
  await Promise.all(buses.splice(0).map((b) => b.close()));
});

it('when order:created is published on the bus (twice), then one expiration:complete comes out on the bus at expiresAt', async () => {
  const data = orderCreatedData(1_000);
  const serviceBus = await connectBus();
  const proc = await queues.open();
  await proc.startWorker(serviceBus);
  const listener = new OwnOrdersListener(
    serviceBus,
    captureLogger().logger,
    proc.queue,
    unique('expiration-test-group'),
    new Set([data.id]),
  ).listen();

  const observerBus = await connectBus();
  const seen: EventEnvelope<ExpirationCompleteEvent>[] = [];
  observerBus.subscribe(
    { subject: Subjects.ExpirationComplete, queueGroup: unique('observer'), ackWaitMs: 5_000, maxInFlight: 100 },
    (delivery) => {
      const envelope = JSON.parse(delivery.raw) as EventEnvelope<ExpirationCompleteEvent>;
      if (envelope.data?.orderId === data.id) seen.push(envelope);
      delivery.ack();
    },
  );

  const publisherBus = await connectBus();
  const sent = await new OrderCreatedPublisher(publisherBus).publish(data, { requestId: 'req-e2e' });
  await publisherBus.publishRaw(Subjects.OrderCreated, JSON.stringify(sent));

  await waitFor(() => seen.length > 0, 10_000, 'expiration:complete on the bus');
  await sleep(1_500);
  await listener.close();

  expect(seen.map((e) => e.data)).toEqual([{ orderId: data.id }]);
  expect(seen[0].meta).toMatchObject({ requestId: 'req-e2e', source: 'expiration' });
  expect(Date.parse(seen[0].meta.publishedAt)).toBeGreaterThanOrEqual(Date.parse(data.expiresAt) - 20);
});
