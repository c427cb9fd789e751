import type { Logger } from '@ticketing/common';
import { SERVICE_NAME } from './config';
import { cancelOverdueOrder, holdEndsAt, Order, overdueHoldsFilter } from './models/order';

export interface HoldSweeperOptions {
  intervalMs: number;
  /** Orders read per query; a sweep reads again while a batch comes back full. */
  batchSize?: number;
}

/**
 * Holds always end, even when the expiration service's job was lost (Redis flushed, the
 * event dead-lettered): every few seconds this cancels the active orders whose hold —
 * expiresAt, or holdUntil while a payment extends it — has passed. Each cancel is the same
 * hold-aware compare-and-set as expiration:complete's, so the two (and several orders
 * replicas sweeping at once) cancel an order once and publish one order:cancelled.
 */
export class HoldSweeper {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly logger: Logger,
    private readonly opts: HoldSweeperOptions,
  ) {}

  start(): this {
    if (this.timer) return this;
    this.timer = setInterval(() => this.tick(), this.opts.intervalMs);
    this.timer.unref();
    this.tick();
    return this;
  }

  /** Stops the timer and waits for a sweep in progress (its cancels reach the outbox). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private tick(): void {
    // One sweep at a time: a slow database makes sweeps longer, not more numerous.
    if (this.running) return;
    this.running = this.sweep()
      .catch((err) => this.logger.warn({ err }, 'hold sweep failed, will retry'))
      .finally(() => {
        this.running = undefined;
      });
  }

  /** One pass; returns how many orders it cancelled. */
  async sweep(now = new Date()): Promise<number> {
    const batchSize = this.opts.batchSize ?? 100;
    const started = Date.now();
    let cancelled = 0;
    let seen = 0;
    // Bounded: what is left is taken by the next sweep.
    for (let round = 0; round < 10; round++) {
      const due = await Order.find(overdueHoldsFilter(now), { _id: 1 }).limit(batchSize).lean();
      seen += due.length;
      for (const { _id } of due) {
        const { order, cancelled: done } = await cancelOverdueOrder(String(_id), { requestId: 'hold-sweeper', source: SERVICE_NAME });
        if (!done || !order) continue;
        cancelled++;
        this.logger.info({ orderId: order.id, holdEndedAt: holdEndsAt(order).toISOString() }, 'hold over: order cancelled by the sweeper');
      }
      if (due.length < batchSize) break;
    }
    this.logger.debug({ seen, cancelled, ms: Date.now() - started }, 'hold sweep done');
    return cancelled;
  }
}
