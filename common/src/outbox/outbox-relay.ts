import type { Model } from 'mongoose';
import type { Logger } from 'pino';
import type { EventBus } from '../bus/event-bus';
import type { OutboxEntry } from './outbox-entry';
import { outboxSignal } from './outbox-plugin';

export interface OutboxRelayOptions {
  /** Sweep for entries left by a process that died between write and publish. */
  pollIntervalMs?: number;
  /** Documents read per sweep and model. */
  batchSize?: number;
}

/**
 * Publishes stored outbox entries, then removes each one. Runs right after every outbox
 * write (via `outboxSignal`) and on a timer, which picks up what a killed process left.
 *
 * Delivery is at least once: a crash after the publish and before the `$pull`, or two
 * replicas sweeping the same document, send an entry twice. Every envelope carries its
 * event id and every listener is idempotent, so a duplicate changes nothing.
 */
export class OutboxRelay {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = true;
  private readonly onWritten = () => this.kick();

  constructor(
    private readonly bus: EventBus,
    private readonly models: Model<any>[], // eslint-disable-line @typescript-eslint/no-explicit-any
    private readonly logger: Logger,
    private readonly opts: OutboxRelayOptions = {},
  ) {}

  start(): this {
    if (!this.stopped) return this;
    this.stopped = false;
    outboxSignal.on('written', this.onWritten);
    this.timer = setInterval(() => this.kick(), this.opts.pollIntervalMs ?? 5_000);
    this.timer.unref();
    this.kick();
    return this;
  }

  /** Asks for a flush soon; kicks while one runs coalesce into one more pass. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.flush();
      } catch (err) {
        this.logger.warn({ err }, 'outbox flush failed, will retry');
        return;
      }
    } while (this.again && !this.stopped);
  }

  /** Publishes every pending entry once; returns how many were sent. */
  async flush(): Promise<number> {
    let sent = 0;
    const batchSize = this.opts.batchSize ?? 100;
    for (const model of this.models) {
      // A bounded number of batches per pass: the next kick or sweep continues.
      for (let round = 0; round < 20; round++) {
        const docs = (await model.collection
          .find({ 'outbox.0': { $exists: true } }, { projection: { outbox: 1 } })
          .limit(batchSize)
          .toArray()) as unknown as { _id: unknown; outbox: OutboxEntry[] }[];
        for (const doc of docs) {
          // In order, and stop at the first failure, so a document's events keep their order.
          for (const entry of doc.outbox) {
            await this.bus.publishRaw(entry.subject, entry.payload);
            const exact: OutboxEntry = { id: entry.id, subject: entry.subject, payload: entry.payload };
            await model.collection.updateOne({ _id: doc._id } as never, { $pull: { outbox: exact } } as never);
            sent++;
          }
        }
        if (docs.length < batchSize) break;
      }
    }
    if (sent) this.logger.debug({ sent }, 'outbox entries published');
    return sent;
  }

  /** Stops the timer and waits for a running pass; pending entries stay for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    outboxSignal.off('written', this.onWritten);
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
