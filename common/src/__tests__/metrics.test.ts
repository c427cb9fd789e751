import { Router } from 'express';
import request from 'supertest';
import mongoose, { Schema } from 'mongoose';
import {
  createApp,
  EventOutOfOrderError,
  Listener,
  MessageContext,
  metrics,
  outboxPlugin,
  OutboxRelay,
  Publisher,
  registry,
  Subjects,
  TicketCreatedEvent,
  TransientError,
} from '../index';
import { captureLogger, envelopeOf, InMemoryBus, useTestDatabase } from '../testing';

// Each metric moves by the expected amount after the action that should move it.
useTestDatabase();

async function value(name: string, labels: Record<string, string>): Promise<number> {
  const m = (await registry.getSingleMetric(name)?.get()) as { values: { labels: Record<string, unknown>; value: number; metricName?: string }[] } | undefined;
  const hit = m?.values.find(
    (v) => (v.metricName === undefined || v.metricName === name || v.metricName === `${name}_count`) && Object.entries(labels).every(([k, val]) => String(v.labels[k]) === val),
  );
  return hit?.value ?? 0;
}

it('when a route answers, then http_requests_total counts it under its route pattern and status, and the latency is observed', async () => {
  const router = Router();
  router.get('/api/widgets/:id', (_req, res) => {
    res.send({});
  });
  const app = createApp({ logger: captureLogger().logger, routers: [router] });
  const labels = { method: 'GET', route: '/api/widgets/:id', status: '200' };
  const before = await value('http_requests_total', labels);
  const hist = await value('http_request_duration_seconds', labels);
  await request(app).get('/api/widgets/1');
  await request(app).get('/api/widgets/2');
  await request(app).get('/nowhere');
  expect(await value('http_requests_total', labels)).toBe(before + 2);
  expect(await value('http_request_duration_seconds', labels)).toBe(hist + 2);
  expect(await value('http_requests_total', { route: 'unmatched', status: '404' })).toBeGreaterThanOrEqual(1);
});

class Probe extends Listener<TicketCreatedEvent> {
  readonly subject = Subjects.TicketCreated;
  readonly queueGroupName = 'metrics-probe';
  next: Error | undefined;
  async onMessage(_d: TicketCreatedEvent['data'], _c: MessageContext) {
    if (this.next) throw this.next;
  }
}

it('when a listener handles, fails (three kinds) and dead-letters, then each counter moves by one', async () => {
  const bus = new InMemoryBus();
  const probe = new Probe(bus, captureLogger().logger);
  probe.maxAttempts = 1;
  const labels = { subject: 'ticket:created', queue_group: 'metrics-probe' };
  const read = async () => ({
    handled: await value('events_handled_total', labels),
    transient: await value('events_failed_total', { ...labels, kind: 'transient' }),
    gap: await value('events_failed_total', { ...labels, kind: 'out_of_order' }),
    content: await value('events_failed_total', { ...labels, kind: 'content' }),
    dead: await value('events_dead_lettered_total', labels),
    timed: await value('event_handler_duration_seconds', labels),
  });
  const before = await read();
  const env = () => envelopeOf<TicketCreatedEvent>(Subjects.TicketCreated, { id: 't', version: 0, title: 'a', price: 1, userId: 'u' });

  expect(await probe.handle(env())).toBe('acked');
  probe.next = new TransientError('db down');
  expect(await probe.handle(env())).toBe('retry');
  probe.next = new EventOutOfOrderError('gap');
  expect(await probe.handle(env())).toBe('retry');
  probe.next = new Error('poison');
  const e = env();
  await probe.receive({ raw: JSON.stringify(e), redeliveryCount: 0, sequence: 1, ack: () => undefined });

  const after = await read();
  expect(after).toEqual({
    handled: before.handled + 1,
    transient: before.transient + 1,
    gap: before.gap + 1,
    content: before.content + 1,
    dead: before.dead + 1,
    timed: before.timed + 4,
  });
});

it('when the bus is down and entries wait in the outbox, then outbox_entries_pending and the oldest age show them', async () => {
  const schema = new Schema({ n: Number });
  schema.plugin(outboxPlugin);
  const Widget = mongoose.model('MetricsWidget', schema);
  class P extends Publisher<TicketCreatedEvent> {
    readonly subject = Subjects.TicketCreated;
  }
  const bus = new InMemoryBus();
  bus.failPublishes = true;
  await Widget.collection.insertOne({ n: 1, outbox: [new P().toOutbox({ id: 't', version: 0, title: 'a', price: 1, userId: 'u' })] });
  await new Promise((r) => setTimeout(r, 1_100));
  const relay = new OutboxRelay(bus, [Widget], captureLogger().logger, { pollIntervalMs: 60_000 });
  await relay.flush().catch(() => undefined);
  expect(await value('outbox_entries_pending', { collection: Widget.collection.collectionName })).toBe(1);
  expect(await value('outbox_oldest_entry_age_seconds', { collection: Widget.collection.collectionName })).toBeGreaterThanOrEqual(1);

  bus.failPublishes = false;
  await relay.flush();
  expect(await value('outbox_entries_pending', { collection: Widget.collection.collectionName })).toBe(0);
  expect(bus.published).toHaveLength(1);
});

it('exports every metric the dashboard and the docs name', async () => {
  const text = await registry.metrics();
  for (const name of Object.values(metrics).map((m) => (m as unknown as { name: string }).name)) {
    expect(text).toContain(`# TYPE ${name} `);
  }
});

it('when an event is stored by NATS Streaming, then events_published_total counts it and bus_connected is 1', async () => {
  const { connectBus, closeAllBuses } = await import('./helpers');
  const bus = await connectBus('metrics');
  try {
    const before = await value('events_published_total', { subject: 'ticket:created' });
    class P extends Publisher<TicketCreatedEvent> {
      readonly subject = Subjects.TicketCreated;
    }
    await new P(bus).publish({ id: 't', version: 0, title: 'metrics', price: 1, userId: 'u' });
    expect(await value('events_published_total', { subject: 'ticket:created' })).toBe(before + 1);
    expect(await value('bus_connected', {})).toBe(1);
  } finally {
    await closeAllBuses();
  }
});
