import { Router } from 'express';
import request from 'supertest';
import mongoose, { Schema } from 'mongoose';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import {
  createApp,
  initTracing,
  Listener,
  MessageContext,
  outboxPlugin,
  OutboxRelay,
  Publisher,
  Subjects,
  TicketCreatedEvent,
  withSpan,
} from '../index';
import { captureLogger, useTestDatabase } from '../testing';
import { closeAllBuses, connectBus, sleep, unique, waitFor } from './helpers';

// One purchase is one trace: the W3C trace context travels from the HTTP request into the
// event envelope (outbox), through NATS Streaming (real server) to the listener, and on to
// the call out the listener makes (a Stripe call in payments).
jest.setTimeout(30_000);
useTestDatabase();
afterAll(closeAllBuses);

const exporter = new InMemorySpanExporter();
initTracing({ serviceName: 'tracing-test', exporter });

const schema = new Schema({ title: String });
schema.plugin(outboxPlugin);
const Thing = mongoose.model('TracedThing', schema);

class TicketCreatedPublisher extends Publisher<TicketCreatedEvent> {
  readonly subject = Subjects.TicketCreated;
}

it('when a request stores an event that a listener handles and calls out, then every span shares one trace id, parent after parent', async () => {
  const tag = unique('trace');
  const bus = await connectBus('traced');
  const handled: string[] = [];
  class ChargeListener extends Listener<TicketCreatedEvent> {
    readonly subject = Subjects.TicketCreated;
    readonly queueGroupName = unique('charge');
    async onMessage(data: TicketCreatedEvent['data'], _ctx: MessageContext) {
      if (!data.title.startsWith(tag)) return;
      await withSpan('stripe charges.create', async () => sleep(5));
      handled.push(data.title);
    }
  }
  const listener = new ChargeListener(bus, captureLogger().logger).listen();
  const relay = new OutboxRelay(bus, [Thing], captureLogger().logger, { pollIntervalMs: 60_000 }).start();
  await sleep(300);

  const router = Router();
  router.post('/api/things', async (req, res) => {
    const entry = new TicketCreatedPublisher().toOutbox({ id: 't1', version: 0, title: `${tag} x`, price: 5, userId: 'u' });
    const thing = await Thing.create({ title: req.body.title, outbox: [entry] });
    res.status(201).send({ id: thing.id });
  });
  const app = createApp({ logger: captureLogger().logger, routers: [router] });
  await request(app).post('/api/things').send({ title: 'x' }).expect(201);
  await waitFor(() => handled.length === 1, 10_000, 'the handled event');
  await sleep(100);
  await relay.stop();
  await listener.close();

  const spans = exporter.getFinishedSpans();
  const server = spans.find((s) => s.name === 'POST /api/things')!;
  expect(server).toBeDefined();
  const traceId = server.spanContext().traceId;
  const inTrace = spans.filter((s) => s.spanContext().traceId === traceId);
  const byName = (n: string) => inTrace.find((s) => s.name === n);
  const publish = byName('publish ticket:created');
  const processed = byName('process ticket:created');
  const stripe = byName('stripe charges.create');
  expect([publish, processed, stripe].every(Boolean)).toBe(true);
  expect(publish!.parentSpanId).toBe(server.spanContext().spanId);
  expect(processed!.parentSpanId).toBe(server.spanContext().spanId);
  expect(stripe!.parentSpanId).toBe(processed!.spanContext().spanId);
});

it('when a request carries a traceparent, then its server span continues that trace', async () => {
  const router = Router();
  router.get('/api/ping', (_req, res) => {
    res.send({});
  });
  const app = createApp({ logger: captureLogger().logger, routers: [router] });
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  await request(app).get('/api/ping').set('traceparent', `00-${traceId}-00f067aa0ba902b7-01`).expect(200);
  const span = exporter.getFinishedSpans().find((s) => s.name === 'GET /api/ping');
  expect(span?.spanContext().traceId).toBe(traceId);
  expect(span?.parentSpanId).toBe('00f067aa0ba902b7');
});

it('when no exporter and no OTLP endpoint are configured, then the OpenTelemetry SDK is never loaded (a service pays no memory for it)', () => {
  // A fresh process on the built package, as a service runs it.
  const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
  const script = `
    const c = require(${JSON.stringify(require('node:path').resolve(__dirname, '../../dist'))});
    const on = c.initTracing({ serviceName: 'probe' });
    const loaded = Object.keys(require.cache).filter((k) => /@opentelemetry[\\\\/](sdk-trace-base|exporter-trace-otlp-http|resources)[\\\\/]/.test(k));
    console.log(JSON.stringify({ on, loaded: loaded.length }));`;
  const env = { ...process.env };
  delete env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { env, encoding: 'utf8' }).trim());
  expect(out).toEqual({ on: false, loaded: 0 });
  // With an endpoint the same code loads it and turns tracing on.
  const withEndpoint = JSON.parse(
    execFileSync(process.execPath, ['-e', script], { env: { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' }, encoding: 'utf8' }).trim(),
  );
  expect(withEndpoint.on).toBe(true);
  expect(withEndpoint.loaded).toBeGreaterThan(0);
});
