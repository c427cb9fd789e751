import type { Logger } from '@ticketing/common';
import { isOpen, Payment } from './models/payment';
import { OpenPayment } from './models/open-payment';
import type { PaymentProcessor, Settlement } from './payment-processor';
import { STRIPE_CALL_DEADLINE_MS } from './stripe';

export interface ReconcilerOptions {
  /** How often it looks for payments to settle. */
  intervalMs?: number;
  /**
   * A payment untouched for this long has no request left that could still settle it: it
   * is past the Stripe call's hard deadline, whichever replica made the call.
   */
  olderThanMs?: number;
  /** Payments settled per pass; the rest wait for the next one. */
  batchSize?: number;
}

/**
 * Settles what a request could not: a pending payment whose process crashed, lost its
 * database or timed out on Stripe (replay of the stored charge request, same key), and a
 * refund that was not confirmed. Runs at start and then every few seconds.
 */
export class Reconciler {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopped = true;

  constructor(
    private readonly processor: PaymentProcessor,
    private readonly logger: Logger,
    private readonly opts: ReconcilerOptions = {},
  ) {}

  start(): this {
    if (!this.stopped) return this;
    this.stopped = false;
    this.timer = setInterval(() => this.kick(), this.opts.intervalMs ?? 5_000);
    this.timer.unref();
    this.kick();
    return this;
  }

  /** Stops the timer and waits for a pass in progress (at most one Stripe call long). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private kick(): void {
    if (this.stopped || this.running) return;
    this.running = this.runOnce()
      .catch((err) => this.logger.warn({ err }, 'reconciler pass failed, will retry'))
      .finally(() => {
        this.running = undefined;
      });
  }

  /** One pass; returns what became of each payment it took up. */
  async runOnce(): Promise<Settlement[]> {
    const cutoff = new Date(Date.now() - (this.opts.olderThanMs ?? STRIPE_CALL_DEADLINE_MS));
    // The open-payment markers, not the payments: a small collection, by `openedAt` (indexed).
    const stale = await OpenPayment.find({ openedAt: { $lt: cutoff } })
      .limit(this.opts.batchSize ?? 20)
      .lean();
    const settled: Settlement[] = [];
    // One at a time: a replay may take a whole Stripe call, and Stripe may be struggling.
    for (const marker of stale) {
      const orderId = marker._id;
      if (this.processor.isBusy(orderId)) continue;
      try {
        const payment = await Payment.findById(orderId, { status: 1 }).lean();
        if (!isOpen(payment?.status)) {
          // Left by a crash after the payment was settled, or before it was stored.
          await OpenPayment.deleteOne({ _id: orderId, paymentId: marker.paymentId });
          continue;
        }
        const settlement = await this.processor.settleStored(orderId, {});
        settled.push(settlement);
        if (settlement.outcome === 'busy') continue;
        const { status } = settlement.payment;
        if (isOpen(status)) {
          // Still open (Stripe unreachable): wait a full period before the next replay.
          await OpenPayment.updateOne({ _id: orderId }, { $set: { openedAt: new Date() } });
          this.logger.info({ orderId, status }, 'payment still open, will retry');
        } else {
          this.logger.info({ orderId, outcome: settlement.outcome, status }, 'payment reconciled');
        }
      } catch (err) {
        this.logger.warn({ err, orderId }, 'payment could not be reconciled, will retry');
      }
    }
    return settled;
  }
}
