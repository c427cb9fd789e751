import http from 'node:http';
import type { Express } from 'express';
import mongoose, { Model } from 'mongoose';
import type { Logger } from 'pino';
import { NatsBus } from '../bus/nats-bus';
import type { AnyEvent } from '../events/types';
import { setEventSource } from '../events/envelope';
import type { Listener } from '../bus/listener';
import { OutboxRelay } from '../outbox/outbox-relay';
import { ConfigError } from '../config/config';
import { initTracing, shutdownTracing } from '../tracing/tracing';
import { collectProcessMetrics, metrics, metricsText, METRICS_CONTENT_TYPE, registry } from '../metrics/metrics';

export interface ServiceDeps {
  /** The bus connection; using it in a service defined without `nats` throws. */
  bus: NatsBus;
  logger: Logger;
  isReady: () => boolean;
}

export interface ServiceDefinition {
  name: string;
  logger: Logger;
  port: number;
  /** Omitted by services without a database (expiration). */
  mongoUri?: string;
  /** Omitted by services that are not on the bus (auth). */
  nats?: { url: string; clusterId: string; clientId: string; user?: string; password?: string };
  app: (deps: ServiceDeps) => Express;
  listeners?: (deps: ServiceDeps) => Listener<AnyEvent>[];
  /** Models using `outboxPlugin`, whose pending events the relay sends. */
  outboxModels?: Model<any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  outboxPollIntervalMs?: number;
  /** Extra work of the service (a job worker): started after the bus, stopped before it. */
  onStart?: (deps: ServiceDeps) => Promise<void>;
  onStop?: () => Promise<void>;
  /** Extra readiness condition (a Redis connection). */
  isReady?: () => boolean;
  /** In-flight work gets this long after SIGTERM before the process exits anyway. */
  shutdownTimeoutMs?: number;
  /**
   * Where Prometheus scrapes /metrics: a port of its own, never routed by the ingress.
   * Undefined or 0 = no metrics server.
   */
  metricsPort?: number;
}

export interface RunningService {
  port: number;
  metricsPort?: number;
  stop(reason?: string): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long a service keeps an idle client connection open: longer than any proxy in front. */
export const SERVICE_KEEP_ALIVE_MS = 65_000;

/** mongoose's debug hook: one call per collection operation (the method: findOne, insertOne, bulkWrite…). */
function countCommand(_collection: string, method: string): void {
  metrics.mongoCommands.inc({ command: method });
}

/** Connects with retries: in a cluster the database pod may start after the service. */
export async function connectMongo(uri: string, logger: Logger, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 250;
  for (;;) {
    try {
      // Fail fast while the database is away: the request gets a 503 in ~3 s instead of
      // hanging (mongoose's command buffering would wait 10 s, the driver 30 s).
      mongoose.set('bufferTimeoutMS', 3_000);
      // Mongoose otherwise captures a stack trace (`new Error().stack`) on every query, only
      // to explain a query run twice: ~0.1 ms of CPU per hydrated read, measured.
      mongoose.set('skipOriginalStackTraces', true);
      // Commands per request are the cost model of this system (FerretDB serialises them):
      // counted per collection operation through mongoose's hook, which sees every call
      // that goes through a model's collection (queries, insertDocument, the outbox relay's
      // bulk writes). Not through the driver's command monitoring: that builds a started and
      // a succeeded event for every command, with a copy of the command and the whole reply
      // deserialised: 50–90 µs of CPU per command, measured (bench/README.md, stop 24).
      mongoose.set('debug', countCommand);
      await mongoose.connect(uri, { serverSelectionTimeoutMS: 3_000 });
      // Unique indexes are part of correctness (one user per email): wait until they exist.
      await Promise.all(mongoose.modelNames().map((n) => mongoose.model(n).init()));
      logger.info('connected to MongoDB');
      return;
    } catch (err) {
      if (Date.now() + delay > deadline) throw err;
      logger.warn({ err: (err as Error).message }, 'MongoDB not reachable, retrying');
      await sleep(delay);
      delay = Math.min(delay * 2, 5_000);
    }
  }
}

/**
 * Starts a service in the one order that is safe: database, bus, listeners and relay,
 * then HTTP. Stops in reverse on SIGTERM/SIGINT: stop taking requests and messages, let
 * what is in flight finish, then close the bus and the database.
 */
export async function runService(def: ServiceDefinition): Promise<RunningService> {
  const { logger } = def;
  let shuttingDown = false;
  // The service's name is given once, here: metrics label, trace service name, and the
  // `source` of every event it publishes.
  registry.setDefaultLabels({ service: def.name });
  setEventSource(def.name);
  // OTLP export when OTEL_EXPORTER_OTLP_ENDPOINT is set; otherwise tracing stays a no-op.
  if (initTracing({ serviceName: def.name })) logger.info('traces exported over OTLP');
  collectProcessMetrics();

  if (def.mongoUri) await connectMongo(def.mongoUri, logger);
  // The bus connects in the background: an outage of NATS Streaming is logged (and retried)
  // but takes no API out of service: reads go on, writes wait in the outbox.
  const bus = def.nats ? NatsBus.start({ ...def.nats, logger }) : undefined;

  // Ready = this service's own HTTP and its own database. Not the bus: readiness gates
  // traffic, and browsing must go on while NATS Streaming is away.
  const isReady = () =>
    !shuttingDown &&
    (!def.mongoUri || mongoose.connection.readyState === 1) &&
    (def.isReady ? def.isReady() : true);
  const deps: ServiceDeps = {
    get bus(): NatsBus {
      if (!bus) throw new Error(`${def.name} has no bus: set \`nats\` in its service definition`);
      return bus;
    },
    logger,
    isReady,
  };

  const listeners = def.listeners ? def.listeners(deps) : [];
  for (const l of listeners) l.listen();
  const relay = def.outboxModels?.length
    ? new OutboxRelay(deps.bus, def.outboxModels, logger, { pollIntervalMs: def.outboxPollIntervalMs }).start()
    : undefined;
  if (def.onStart) await def.onStart(deps);

  const server = http.createServer(def.app(deps));
  // A proxy in front (ingress-nginx keeps idle upstream connections 60 s, the local
  // gateway 30 s) must give up an idle connection before the service does: a request it
  // sends on a connection the service is just closing gets a reset, which the client sees
  // as a 502. Node's default is 5 s.
  server.keepAliveTimeout = SERVICE_KEEP_ALIVE_MS;
  server.headersTimeout = SERVICE_KEEP_ALIVE_MS + 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(def.port, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : def.port;
  logger.info({ port }, `${def.name} listening`);

  let metricsServer: http.Server | undefined;
  let metricsPort: number | undefined;
  if (def.metricsPort) {
    metricsServer = http.createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      metricsText().then(
        (text) => res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE }).end(text),
        () => res.writeHead(500).end(),
      );
    });
    await new Promise<void>((resolve, reject) => {
      metricsServer!.once('error', reject);
      metricsServer!.listen(def.metricsPort, () => resolve());
    });
    const a = metricsServer.address();
    metricsPort = typeof a === 'object' && a ? a.port : def.metricsPort;
    logger.info({ metricsPort }, 'metrics at /metrics');
  }

  let stopping: Promise<void> | undefined;
  const stop = (reason = 'stop') => {
    stopping ??= (async () => {
      shuttingDown = true;
      logger.info({ reason }, `${def.name} shutting down`);
      const force = setTimeout(() => {
        logger.error('graceful shutdown timed out, exiting');
        process.exit(1);
      }, def.shutdownTimeoutMs ?? 20_000);
      force.unref();
      // Stop accepting; requests in flight finish; idle keep-alive sockets are closed, and
      // so is each connection whose request finishes from now on (not kept the usual 65 s).
      server.keepAliveTimeout = 1;
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      await closed;
      metricsServer?.close();
      await Promise.all(listeners.map((l) => l.close()));
      if (def.onStop) await def.onStop();
      await relay?.stop();
      await bus?.close();
      if (def.mongoUri) await mongoose.disconnect();
      await shutdownTracing().catch(() => undefined);
      clearTimeout(force);
      logger.info(`${def.name} stopped`);
    })();
    return stopping;
  };
  return { port, metricsPort, stop };
}

/**
 * The entry of a service's index.ts: a bad config or a failed start is printed plainly
 * and exits 1; SIGTERM/SIGINT stop gracefully and exit 0.
 */
export function main(name: string, start: () => Promise<RunningService>): void {
  let service: RunningService | undefined;
  let signalled = false;
  const exitAfterStop = (svc: RunningService, reason: string) =>
    svc.stop(reason).then(
      () => process.exit(0),
      (err) => {
        console.error(err);
        process.exit(1);
      },
    );
  // A rejection nobody handled is a bug to log, not a reason to take the service down
  // (Node 20 would exit): in-flight requests and handlers keep their own error paths.
  process.on('unhandledRejection', (reason) => {
    console.error(JSON.stringify({ level: 50, time: Date.now(), service: name, msg: 'unhandled rejection', err: String((reason as Error)?.stack ?? reason) }));
  });
  // An exception that escaped every handler leaves the process in an unknown state: exit
  // (the orchestrator restarts it; the outbox and durable subscriptions lose nothing).
  process.on('uncaughtException', (err) => {
    console.error(JSON.stringify({ level: 60, time: Date.now(), service: name, msg: 'uncaught exception, exiting', err: String(err?.stack ?? err) }));
    process.exit(1);
  });
  // Registered before the start: a SIGTERM while still waiting for the database or the
  // bus (a pod deleted during a slow start) is a clean stop, not a kill.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (signalled) return;
      signalled = true;
      if (service) void exitAfterStop(service, signal);
      else {
        console.error(`${name}: ${signal} during start-up, exiting`);
        process.exit(0);
      }
    });
  }
  start()
    .then((svc) => {
      service = svc;
    })
    .catch((err) => {
      if (err instanceof ConfigError) console.error(`${name}: ${err.message}`);
      else console.error(`${name}: failed to start:`, err);
      process.exit(1);
    });
}
