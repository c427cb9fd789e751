import nats, { Message, Stan, Subscription } from 'node-nats-streaming';
import type { Logger } from 'pino';
import { BusSubscription, Delivery, EventBus, SubscribeOptions } from './event-bus';
import { metrics } from '../metrics/metrics';

export interface NatsBusOptions {
  url: string;
  clusterId: string;
  clientId: string;
  /** This service's NATS user: the server grants each user only its own subjects. */
  user?: string;
  password?: string;
  logger: Logger;
  /** Give up on the first connection after this long (the process then exits non-zero). */
  connectTimeoutMs?: number;
  /** Ping interval and missed pings before the server is declared lost. */
  pingIntervalMs?: number;
  maxPingOut?: number;
}

interface ActiveSubscription {
  opts: SubscribeOptions;
  onDelivery: (d: Delivery) => void;
  current?: Subscription;
  closed: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The NATS Streaming connection of one process. When the streaming server is lost (missed
 * pings, server restart), it reconnects with backoff and re-creates every subscription:
 * subscriptions are durable, so nothing is missed while it was away.
 */
export class NatsBus implements EventBus {
  private stan?: Stan;
  private subs: ActiveSubscription[] = [];
  private closing = false;
  private reconnecting?: Promise<void>;
  private reconnectCallbacks: (() => void)[] = [];
  private everConnected = false;
  private disruptedAt = 0;

  private constructor(private readonly opts: NatsBusOptions) {}

  static async connect(opts: NatsBusOptions): Promise<NatsBus> {
    const bus = new NatsBus(opts);
    await bus.connectWithRetry(opts.connectTimeoutMs ?? 30_000);
    return bus;
  }

  /**
   * A bus that connects in the background, for as long as it takes: a service starts and
   * serves HTTP (writes go to the outbox) while NATS Streaming is still down. Publishes
   * fail until connected; subscriptions attach on connect.
   */
  static start(opts: NatsBusOptions): NatsBus {
    const bus = new NatsBus(opts);
    bus.reconnecting = bus
      .connectWithRetry(Number.POSITIVE_INFINITY)
      .catch((err) => opts.logger.error({ err: (err as Error).message }, 'NATS Streaming connect stopped'))
      .finally(() => {
        bus.reconnecting = undefined;
      });
    return bus;
  }

  get connected(): boolean {
    return !!this.stan && !this.reconnecting && !this.closing;
  }

  private async connectWithRetry(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let delay = 250;
    for (let attempt = 1; ; attempt++) {
      try {
        this.stan = await this.connectOnce();
        metrics.busConnected.set(1);
        if (this.everConnected) {
          this.disruptedAt = Date.now();
          for (const cb of this.reconnectCallbacks) cb();
        }
        this.everConnected = true;
        this.opts.logger.info({ url: this.opts.url, clientId: this.opts.clientId }, 'connected to NATS Streaming');
        return;
      } catch (err) {
        if (this.closing) throw new Error('bus closed while connecting');
        if (Date.now() + delay > deadline) {
          throw new Error(`could not connect to NATS Streaming at ${this.opts.url}: ${(err as Error).message}`);
        }
        this.opts.logger.warn({ attempt, err: (err as Error).message }, 'NATS Streaming not reachable, retrying');
        await sleep(delay);
        delay = Math.min(delay * 2, 5_000);
      }
    }
  }

  private connectOnce(): Promise<Stan> {
    return new Promise((resolve, reject) => {
      const stan = nats.connect(this.opts.clusterId, this.opts.clientId, {
        url: this.opts.url,
        ...(this.opts.user && { user: this.opts.user, pass: this.opts.password }),
        connectTimeout: 5_000,
        stanPingInterval: this.opts.pingIntervalMs ?? 3_000,
        stanMaxPingOut: this.opts.maxPingOut ?? 3,
        waitOnFirstConnect: true,
        maxReconnectAttempts: -1,
      } as nats.StanOptions);
      const onError = (err: Error) => {
        stan.removeAllListeners();
        try {
          stan.close();
        } catch {
          /* never connected */
        }
        reject(err);
      };
      stan.once('error', onError);
      stan.once('connect', () => {
        stan.removeListener('error', onError);
        stan.on('error', (err) => this.opts.logger.error({ err }, 'NATS Streaming error'));
        stan.on('connection_lost', (err) => this.onLost(stan, err));
        // The NATS connection under the session dropped and came back by itself: deliveries
        // the server sent meanwhile are lost and come back after their ackWait.
        for (const event of ['disconnect', 'reconnecting', 'reconnect'] as const) {
          stan.on(event, () => {
            this.disruptedAt = Date.now();
            if (event === 'disconnect') this.opts.logger.warn('NATS connection dropped, reconnecting');
            // The transport is back, but a streaming server that restarted may not have kept
            // our subscriptions (it answers "unknown inbox" and delivers nothing while pings
            // still succeed): start a fresh session, which re-creates every durable
            // subscription where its position was.
            if (event === 'reconnect') this.onLost(stan, new Error('NATS transport reconnected; renewing the streaming session'));
          });
        }
        stan.on('close', () => this.onLost(stan, new Error('connection closed')));
        for (const s of this.subs) if (!s.closed) this.attach(stan, s);
        resolve(stan);
      });
    });
  }

  private onLost(stan: Stan, err: unknown) {
    if (this.closing || this.stan !== stan || this.reconnecting) return;
    this.opts.logger.error({ err: (err as Error)?.message }, 'lost NATS Streaming, reconnecting');
    this.disruptedAt = Date.now();
    metrics.busConnected.set(0);
    this.stan = undefined;
    stan.removeAllListeners();
    stan.on('error', () => undefined);
    try {
      stan.close();
    } catch {
      /* already gone */
    }
    for (const s of this.subs) s.current = undefined;
    this.reconnecting = this.connectWithRetry(Number.POSITIVE_INFINITY)
      .catch((e) => this.opts.logger.error({ err: e }, 'NATS Streaming reconnect stopped'))
      .finally(() => {
        this.reconnecting = undefined;
      });
  }

  private attach(stan: Stan, s: ActiveSubscription) {
    const durable = s.opts.durable !== false;
    const so = stan.subscriptionOptions().setManualAckMode(true).setAckWait(s.opts.ackWaitMs).setMaxInFlight(s.opts.maxInFlight);
    // Durable: deliver everything not yet acked by the group. Not durable: from now on.
    const sub = durable
      ? stan.subscribe(s.opts.subject, s.opts.queueGroup, so.setDeliverAllAvailable().setDurableName(s.opts.queueGroup))
      : stan.subscribe(s.opts.subject, so);
    sub.on('error', (err) => this.opts.logger.error({ err, subject: s.opts.subject }, 'subscription error'));
    sub.on('message', (msg: Message) => {
      const data = msg.getData();
      s.onDelivery({
        raw: typeof data === 'string' ? data : Buffer.from(data).toString('utf8'),
        redeliveryCount: (msg as unknown as { getRedeliveryCount(): number }).getRedeliveryCount() ?? 0,
        sequence: msg.getSequence(),
        ack: () => {
          // After the connection is lost, node-nats-streaming's ack throws (its connection
          // object is gone). Drop it: the server redelivers, and listeners are idempotent.
          try {
            msg.ack();
          } catch (err) {
            this.opts.logger.warn({ err: (err as Error)?.message, subject: s.opts.subject }, 'ack after lost connection dropped');
          }
        },
      });
    });
    s.current = sub;
  }

  subscribe(opts: SubscribeOptions, onDelivery: (d: Delivery) => void): BusSubscription {
    const s: ActiveSubscription = { opts, onDelivery, closed: false };
    this.subs.push(s);
    if (this.stan) this.attach(this.stan, s);
    return {
      close: async () => {
        s.closed = true;
        this.subs = this.subs.filter((x) => x !== s);
        const sub = s.current;
        s.current = undefined;
        if (!sub || sub.isClosed()) return;
        // close(), not unsubscribe(): unsubscribing would delete the durable position.
        // A non-durable one has no position: unsubscribe it.
        const durable = s.opts.durable !== false;
        await new Promise<void>((resolve) => {
          const done = () => resolve();
          sub.once('closed', done);
          sub.once('unsubscribed', done);
          sub.once('error', done);
          try {
            if (durable) sub.close();
            else sub.unsubscribe();
          } catch {
            resolve();
          }
          setTimeout(done, 2_000).unref();
        });
      },
    };
  }

  lastDisruptionAt(): number {
    return this.disruptedAt;
  }

  onReconnect(callback: () => void): void {
    this.reconnectCallbacks.push(callback);
  }

  publishRaw(subject: string, payload: string): Promise<void> {
    const stan = this.stan;
    if (!stan) return Promise.reject(new Error('not connected to NATS Streaming'));
    return new Promise((resolve, reject) => {
      stan.publish(subject, payload, (err) => {
        if (err) return reject(err);
        metrics.eventsPublished.inc({ subject });
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const stan = this.stan;
    this.stan = undefined;
    if (!stan) return;
    await new Promise<void>((resolve) => {
      stan.removeAllListeners();
      stan.on('error', () => resolve());
      stan.once('close', () => resolve());
      try {
        stan.close();
      } catch {
        resolve();
      }
      setTimeout(resolve, 3_000).unref();
    });
  }
}
