import type { EnvelopeSink } from '../events/envelope';

/** One delivery of a message to a subscriber. */
export interface Delivery {
  raw: string;
  /** 0 on the first delivery; counted by the server, so it survives our restarts. */
  redeliveryCount: number;
  sequence: number;
  ack(): void;
}

export interface SubscribeOptions {
  subject: string;
  /** Queue group, also used as the durable name: one member of the group gets each message. */
  queueGroup: string;
  /** How long the server waits for an ack before redelivering. */
  ackWaitMs: number;
  maxInFlight: number;
  /**
   * false: every process gets every message from now on (no queue group, no durable
   * position, nothing replayed): for per-process read models that only need what happens
   * while they run, and re-read their source after a reconnect (`onReconnect`).
   * Default true: a durable queue group.
   */
  durable?: boolean;
}

export interface BusSubscription {
  /** Stops deliveries but keeps the durable position, so a restart resumes where it stopped. */
  close(): Promise<void>;
}

/** What publishers, listeners and the outbox relay need from the event bus. */
export interface EventBus extends EnvelopeSink {
  subscribe(opts: SubscribeOptions, onDelivery: (delivery: Delivery) => void): BusSubscription;
  /**
   * When the connection to the bus was last disturbed (lost, reconnecting, or just back);
   * 0 if never since the first connection. Messages sent to this process around then may
   * come back only after their ackWait.
   */
  lastDisruptionAt?(): number;
  /** Called after every (re)connection: what a non-durable subscriber missed is not replayed. */
  onReconnect?(callback: () => void): void;
}
