import client from 'prom-client';

/**
 * The Prometheus metrics every service exports (issue 13), in one registry. Names follow
 * Prometheus conventions (base units, `_total` counters); every series also carries the
 * `service` label, set once by `runService`.
 */
export const registry = new client.Registry();

let defaultsCollected = false;
/** Process metrics (CPU, RSS, event-loop lag, GC); once per process. */
export function collectProcessMetrics(): void {
  if (defaultsCollected) return;
  defaultsCollected = true;
  client.collectDefaultMetrics({ register: registry });
}

const counter = (name: string, help: string, labelNames: string[]) =>
  new client.Counter({ name, help, labelNames, registers: [registry] });
const histogram = (name: string, help: string, labelNames: string[], buckets: number[]) =>
  new client.Histogram({ name, help, labelNames, buckets, registers: [registry] });
const gauge = (name: string, help: string, labelNames: string[] = []) =>
  new client.Gauge({ name, help, labelNames, registers: [registry] });

const LATENCY = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const metrics = {
  httpRequests: counter('http_requests_total', 'HTTP requests answered, by route and status', ['method', 'route', 'status']),
  httpDuration: histogram('http_request_duration_seconds', 'HTTP request latency', ['method', 'route', 'status'], LATENCY),
  eventsPublished: counter('events_published_total', 'Events stored by NATS Streaming (publish acknowledged)', ['subject']),
  eventsHandled: counter('events_handled_total', 'Events a listener handled and acked', ['subject', 'queue_group']),
  eventsFailed: counter(
    'events_failed_total',
    'Handler failures: kind = transient (a dependency down), out_of_order (a version gap) or content',
    ['subject', 'queue_group', 'kind'],
  ),
  eventsDeadLettered: counter('events_dead_lettered_total', 'Events sent to the dead-letter subject', ['subject', 'queue_group']),
  handlerDuration: histogram('event_handler_duration_seconds', 'Time in a listener handler', ['subject', 'queue_group'], LATENCY),
  eventLag: histogram(
    'event_lag_seconds',
    'From publish (envelope publishedAt) to handled, per subject',
    ['subject', 'queue_group'],
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300],
  ),
  outboxPending: gauge('outbox_entries_pending', 'Outbox entries stored and not yet published (seen by the relay)', ['collection']),
  outboxOldestAge: gauge('outbox_oldest_entry_age_seconds', 'Age of the oldest unpublished outbox entry', ['collection']),
  busConnected: gauge('bus_connected', '1 while connected to NATS Streaming'),
  replicaWaits: counter(
    'replica_waits_total',
    'Requests that needed a replica document an event was still bringing, or had just brought: outcome = arrived, timed_out, or kept (answered from the copy kept since it arrived, keepArrivals)',
    ['model', 'outcome'],
  ),
  mongoCommands: counter('mongodb_commands_total', 'Operations sent to the service database, by collection method (findOne, insertOne, bulkWrite…)', ['command']),
  externalCalls: histogram(
    'external_call_duration_seconds',
    'Calls to systems outside the cluster (Stripe), by operation and outcome (ok, refused, unavailable, error)',
    ['system', 'operation', 'outcome'],
    [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 35],
  ),
  queueJobs: new client.Gauge({
    name: 'queue_jobs',
    help: 'Jobs in a work queue by state (expiration: BullMQ waiting, delayed, active, failed)',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      for (const read of queueReaders) {
        try {
          const { queue, counts } = await read();
          for (const [state, n] of Object.entries(counts)) this.set({ queue, state }, n);
        } catch {
          /* Redis away: keep the last figures */
        }
      }
    },
  }),
};

const queueReaders: (() => Promise<{ queue: string; counts: Record<string, number> }>)[] = [];

/** Registers how to read a queue's job counts; read at every scrape. */
export function observeQueue(queue: string, counts: () => Promise<Record<string, number>>): void {
  queueReaders.push(async () => ({ queue, counts: await counts() }));
}

/** The text exposition of every metric. */
export async function metricsText(): Promise<string> {
  return registry.metrics();
}

export const METRICS_CONTENT_TYPE = registry.contentType;
