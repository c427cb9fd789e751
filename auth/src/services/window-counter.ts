import type { Model } from 'mongoose';
import { isDuplicateKeyError } from '@ticketing/common';
import type { AttemptCounterAttrs } from '../models/login-attempt';

export interface Counter {
  key: string;
  count: number;
  windowStart: Date;
}

/**
 * Fixed-window counters kept in MongoDB, one document per key, so limits hold across
 * replicas. Every operation addresses one document by `_id` (FerretDB serves only `_id`
 * lookups without scanning the collection).
 */
export class WindowCounter {
  constructor(
    private readonly model: Model<AttemptCounterAttrs>,
    private readonly windowSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Counts one attempt atomically: `$inc` inside a live window, else open a new window.
   * Opening matches only an expired window (or inserts), so of two racing openers one
   * wins and the other gets a duplicate key error and retries as an `$inc`.
   */
  async hit(key: string): Promise<Counter> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const cutoff = this.windowCutoff();
      const counted = await this.model
        .findOneAndUpdate({ _id: key, windowStart: { $gt: cutoff } }, { $inc: { count: 1 } }, { new: true })
        .lean();
      if (counted) return { key, count: counted.count, windowStart: counted.windowStart };
      try {
        const opened = await this.model
          .findOneAndUpdate(
            { _id: key, windowStart: { $lte: cutoff } },
            { $set: { count: 1, windowStart: new Date(this.now()) } },
            { new: true, upsert: true },
          )
          .lean();
        return { key, count: opened.count, windowStart: opened.windowStart };
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
      }
    }
    throw new Error(`Could not count an attempt for ${key.split(':')[0]}`);
  }

  /** Un-counts one attempt, only in the window it was counted in: a new window owes it nothing. */
  async giveBack(counter: Counter): Promise<void> {
    await this.model.updateOne(
      { _id: counter.key, windowStart: counter.windowStart, count: { $gt: 0 } },
      { $inc: { count: -1 } },
    );
  }

  async clear(key: string): Promise<void> {
    await this.model.deleteOne({ _id: key });
  }

  /** Removes counters whose window is over (FerretDB has no TTL index to do it). Not on a request path. */
  async deleteExpired(): Promise<number> {
    const { deletedCount } = await this.model.deleteMany({ windowStart: { $lte: this.windowCutoff() } });
    return deletedCount;
  }

  secondsLeft(counter: Counter): number {
    const endsAt = counter.windowStart.getTime() + this.windowSeconds * 1000;
    return Math.max(1, Math.ceil((endsAt - this.now()) / 1000));
  }

  private windowCutoff(): Date {
    return new Date(this.now() - this.windowSeconds * 1000);
  }
}
