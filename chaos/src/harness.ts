import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { Db, MongoClient } from 'mongodb';
import nats, { Message, Stan } from 'node-nats-streaming';
import Redis from 'ioredis';
import { startStack, RunningStack } from '../../scripts/stack';
import { ApiUser, eventually, sleep } from './api';
import { StripeProxy } from './stripe-proxy';

/** The handle of a stack process, with the process control of scripts/stack/processes.js. */
export interface ChaosHandle {
  name: string;
  logFile: string;
  readonly running: boolean;
  readonly pid: number;
  readonly exitCode: number | string | undefined;
  readonly exited: Promise<number | string>;
  paused: boolean;
  restartOnCrash: boolean;
  crashes: { at: Date; code: number | string }[];
  kill(signal?: NodeJS.Signals): boolean;
  pause(): boolean;
  resume(): boolean;
  restart(opts?: { graceMs?: number }): Promise<ChaosHandle>;
  stop(graceMs?: number): Promise<number | string | undefined>;
}

export const SERVICES = ['auth', 'tickets', 'orders', 'payments', 'expiration'] as const;
export const DB_SERVICES = ['auth', 'tickets', 'orders', 'payments'] as const;
export type DbService = (typeof DB_SERVICES)[number];

export const SUBJECTS = [
  'ticket:created',
  'ticket:updated',
  'order:created',
  'order:cancelled',
  'expiration:complete',
  'payment:created',
  'payment:started',
  'payment:failed',
  'payment:refunded',
] as const;

export interface TappedEvent {
  subject: string;
  sequence: number;
  /** The envelope's event id. */
  id: string;
  data: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  raw: string;
  at: number;
}

/**
 * Reads every subject from the start (non-durable, its own client), so a test sees each
 * event the services published. Survives a NATS Streaming restart by connecting again
 * and reading everything again; a message is keyed by subject and sequence, which the
 * file store keeps.
 */
export class EventTap {
  readonly events = new Map<string, TappedEvent>();
  private stan?: Stan;
  private closed = false;
  private connecting?: Promise<void>;

  constructor(
    private readonly url: string,
    /** A NATS user allowed to publish every subject (the stack's `stan` user), when the server has auth. */
    private readonly auth?: { user: string; password: string },
  ) {}

  async start(): Promise<void> {
    await this.connect();
  }

  private connect(): Promise<void> {
    if (this.connecting) return this.connecting;
    this.connecting = (async () => {
      for (;;) {
        if (this.closed) return;
        try {
          this.stan = await this.connectOnce();
          return;
        } catch {
          await sleep(500);
        }
      }
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private connectOnce(): Promise<Stan> {
    return new Promise((resolve, reject) => {
      const stan = nats.connect('ticketing', `chaos-tap-${randomBytes(4).toString('hex')}`, {
        url: this.url,
        connectTimeout: 2_000,
        stanPingInterval: 1_000,
        stanMaxPingOut: 3,
        maxReconnectAttempts: 0,
        ...(this.auth && { user: this.auth.user, pass: this.auth.password }),
      } as nats.StanOptions);
      const fail = (err: Error) => {
        stan.removeAllListeners();
        stan.on('error', () => undefined);
        try {
          stan.close();
        } catch {
          /* never connected */
        }
        reject(err);
      };
      stan.once('error', fail);
      stan.once('connect', () => {
        stan.removeListener('error', fail);
        stan.on('error', () => undefined);
        const lost = () => {
          if (this.stan !== stan) return;
          this.stan = undefined;
          stan.removeAllListeners();
          stan.on('error', () => undefined);
          try {
            stan.close();
          } catch {
            /* gone */
          }
          if (!this.closed) void this.connect();
        };
        stan.on('connection_lost', lost);
        stan.on('close', lost);
        for (const subject of SUBJECTS) {
          const sub = stan.subscribe(subject, stan.subscriptionOptions().setDeliverAllAvailable().setMaxInFlight(1024));
          sub.on('error', () => undefined);
          sub.on('message', (msg: Message) => {
            const raw = String(msg.getData());
            const key = `${subject}#${msg.getSequence()}`;
            if (this.events.has(key)) return;
            try {
              const env = JSON.parse(raw);
              this.events.set(key, { subject, sequence: msg.getSequence(), id: env.id, data: env.data, raw, at: Date.now() });
            } catch {
              this.events.set(key, { subject, sequence: msg.getSequence(), id: '', data: undefined, raw, at: Date.now() });
            }
          });
        }
        resolve(stan);
      });
    });
  }

  list(subject?: string, filter?: (e: TappedEvent) => boolean): TappedEvent[] {
    return [...this.events.values()].filter((e) => (!subject || e.subject === subject) && (!filter || filter(e)));
  }

  /** Distinct event ids (one event sent twice counts once). */
  distinct(subject: string, filter?: (e: TappedEvent) => boolean): TappedEvent[] {
    const seen = new Map<string, TappedEvent>();
    for (const e of this.list(subject, filter)) if (!seen.has(e.id)) seen.set(e.id, e);
    return [...seen.values()];
  }

  /** Publishes a raw envelope string, as a service's outbox relay would. */
  async publishRaw(subject: string, raw: string): Promise<void> {
    const stan = await eventually('tap connected', async () => this.stan, 30_000);
    await new Promise<void>((resolve, reject) => stan.publish(subject, raw, (err) => (err ? reject(err) : resolve())));
  }

  /** Publishes an envelope like common's publisher does (a fresh event id unless given). */
  async publish(subject: string, data: unknown, id: string = randomUUID()): Promise<string> {
    await this.publishRaw(subject, JSON.stringify({ id, subject, data, meta: { publishedAt: new Date().toISOString(), source: 'chaos' } }));
    return id;
  }

  async close(): Promise<void> {
    this.closed = true;
    const stan = this.stan;
    this.stan = undefined;
    if (!stan) return;
    stan.removeAllListeners();
    stan.on('error', () => undefined);
    await new Promise<void>((resolve) => {
      stan.once('close', () => resolve());
      try {
        stan.close();
      } catch {
        resolve();
      }
      setTimeout(resolve, 2_000).unref();
    });
  }
}

export interface ChaosStack {
  stack: RunningStack;
  url: string;
  proxy: StripeProxy;
  tap: EventTap;
  holdSeconds: number;
  handle(name: string): ChaosHandle;
  db(service: DbService): Db;
  redis(): Redis;
  user(who: string): Promise<ApiUser>;
  /** Processes a test killed on purpose, so the "nothing else died" check skips their exits. */
  killedOnPurpose: Set<string>;
  stop(): Promise<void>;
}

/**
 * The whole API stack on real processes (scripts/stack), with the counting Stripe proxy in
 * front of stripe-mock, an event tap on NATS Streaming, and the services supervised
 * (restarted when they die unexpectedly, as Kubernetes would; each such death is recorded).
 */
export async function startChaosStack({ holdSeconds, log }: { holdSeconds: number; log?: (l: string) => void }): Promise<ChaosStack> {
  const proxy = new StripeProxy();
  await proxy.listen();
  const stack = await startStack({
    apiOnly: true,
    // One directory, replaced by each run: logs and data of the last run stay for reading.
    runDir: path.resolve(__dirname, '../../.run/chaos-stack'),
    gatewayPort: 0,
    env: {
      ORDER_EXPIRATION_SECONDS: String(holdSeconds),
      STRIPE_API_BASE: proxy.url,
      LOG_LEVEL: 'info',
      // The experiments sign up a couple of dozen users from one address.
      SIGNUP_MAX_PER_IP: '1000',
    },
    log: log ?? (() => undefined),
  });
  proxy.setUpstream(stack.ports.stripe as number);
  const handles = stack.handles as unknown as ChaosHandle[];
  const handle = (name: string) => {
    const h = handles.find((x) => x.name === name);
    if (!h) throw new Error(`no stack process named ${name}`);
    return h;
  };
  for (const s of SERVICES) handle(s).restartOnCrash = true;

  const dbPorts = stack.ports.db as Record<DbService, number>;
  const clients = new Map<DbService, MongoClient>();
  for (const s of DB_SERVICES) {
    const client = new MongoClient(`mongodb://127.0.0.1:${dbPorts[s]}/${s}`, {
      serverSelectionTimeoutMS: 5_000,
      connectTimeoutMS: 3_000,
      socketTimeoutMS: 10_000,
      heartbeatFrequencyMS: 1_000,
    });
    clients.set(s, client);
  }
  // With NATS auth (scripts/stack/nats-auth.js) the tap connects as the server's own user,
  // the only one that may publish every subject.
  const natsUsers = (stack as unknown as { natsUsers?: Record<string, { user: string; password: string }> }).natsUsers;
  const tap = new EventTap(`nats://127.0.0.1:${stack.ports.nats}`, natsUsers?.stan);
  await tap.start();
  let redisClient: Redis | undefined;

  return {
    stack,
    url: stack.url,
    proxy,
    tap,
    holdSeconds,
    handle,
    killedOnPurpose: new Set(),
    db: (s) => clients.get(s)!.db(s),
    redis: () => (redisClient ??= new Redis(Number(stack.ports.redis), '127.0.0.1', { maxRetriesPerRequest: 2, lazyConnect: false })),
    user: (who) => new ApiUser(stack.url, `${who}-${randomBytes(4).toString('hex')}@example.com`).signup(),
    async stop() {
      await tap.close().catch(() => undefined);
      for (const c of clients.values()) await c.close(true).catch(() => undefined);
      redisClient?.disconnect();
      for (const h of handles) h.restartOnCrash = false;
      await stack.stop();
      await proxy.close();
    },
  };
}

/** Waits until a service answers /readyz again (after a restart). */
export async function ready(chaos: ChaosStack, service: string, timeoutMs = 60_000): Promise<number> {
  const t0 = Date.now();
  const port = (chaos.stack.ports as Record<string, number>)[service];
  await eventually(
    `${service} ready`,
    async () => {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2_000) });
      return res.ok ? true : undefined;
    },
    timeoutMs,
    250,
  );
  return Date.now() - t0;
}

/** Waits until a MongoDB-protocol server answers a ping (after a restart). */
export async function dbReady(chaos: ChaosStack, service: DbService, timeoutMs = 30_000): Promise<void> {
  await eventually(`${service}-db answers`, async () => ((await chaos.db(service).command({ ping: 1 })).ok ? true : undefined), timeoutMs, 250);
}
