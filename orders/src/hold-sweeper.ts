import type { Logger } from '@ticketing/common';
import { ActiveHold } from './models/active-hold';
import { cancelOverdueOrder, holdEndsAt, isActive, setHoldMarker } from './models/order';

export interface HoldSweeperOptions {
  intervalMs: number;
  /** Markers read per query; a sweep reads again while a batch comes back full. */
  batchSize?: number;
}

/**
 * Holds always end, even when the expiration service's job was lost (Redis flushed, the
 * event dead-lettered): every few seconds this cancels the active orders whose hold —
 * expiresAt, or holdUntil while a payment extends it — has passed. It finds them by their
 * ActiveHold markers and reads each order by _id: it never queries the orders collection,
 * which FerretDB would read in full each time, blocking the database for seconds. Each cancel is the same
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
    // Markers taken up in this pass: one that stays due (an error, or `now` ahead of the
    // clock) is not read again, so it cannot hide the ones behind it.
    const seen: string[] = [];
    // Bounded: what is left is taken by the next sweep.
    for (let round = 0; round < 10; round++) {
      // The markers of the holds running now, never the orders: a small collection.
      const due = await ActiveHold.find({ endsAt: { $lte: now }, ...(seen.length > 0 && { _id: { $nin: seen } }) }, { _id: 1 })
        .sort({ endsAt: 1 })
        .limit(batchSize)
        .lean();
      for (const { _id: orderId } of due) {
        seen.push(orderId);
        try {
          if (await this.endHold(orderId)) cancelled++;
        } catch (err) {
          this.logger.warn({ err, orderId }, 'hold could not be checked, will retry');
        }
      }
      if (due.length < batchSize) break;
    }
    this.logger.debug({ seen: seen.length, cancelled, ms: Date.now() - started }, 'hold sweep done');
    return cancelled;
  }

  /**
   * The marker says the hold is over: the order, read by _id, decides. Returns true when
   * this call cancelled it (the cancel removes the marker).
   */
  private async endHold(orderId: string): Promise<boolean> {
    const { order, cancelled } = await cancelOverdueOrder(orderId, { requestId: 'hold-sweeper' });
    if (cancelled) {
      this.logger.info({ orderId, holdEndedAt: holdEndsAt(order!).toISOString() }, 'hold over: order cancelled by the sweeper');
      return true;
    }
    if (!order || !isActive(order)) {
      // Paid or cancelled meanwhile (its own removal did not happen), or never stored (the
      // process died between the marker and the order).
      await ActiveHold.deleteOne({ _id: orderId });
      this.logger.debug({ orderId, status: order?.status ?? 'missing' }, 'hold marker of a finished or missing order removed');
      return false;
    }
    // Still held: a payment in flight extended it (or the marker was early). Looked at
    // again when the hold ends.
    const endsAt = await setHoldMarker(orderId, holdEndsAt(order));
    this.logger.debug({ orderId, endsAt: endsAt?.toISOString() }, 'hold extended: marker moved to its end');
    return false;
  }
}
