import { isDuplicateKeyError } from '@ticketing/common';
import { LoginAttempt } from '../models/login-attempt';

export interface SigninLimits {
  /** Failed sign-ins allowed per email within a window. */
  maxFailures: number;
  /** Failed sign-ins allowed per client IP within a window (any emails). */
  maxFailuresPerIp: number;
  windowSeconds: number;
}

interface Counter {
  key: string;
  count: number;
  windowStart: Date;
}

/** The outcome of `reserve`: either go ahead (and report the result), or wait. */
export type Reservation =
  | { allowed: true; counters: Counter[] }
  | { allowed: false; retryAfterSeconds: number; limitedBy: ('email' | 'ip')[] };

/**
 * Sign-in rate limits kept in MongoDB, so they hold across replicas. Each attempt is
 * counted BEFORE its password is checked: counting only failures afterwards would let a
 * burst of parallel guesses all pass the check while the counter still reads zero.
 * A success then clears the email's counter and gives the IP its attempt back.
 */
export class SigninLimiter {
  constructor(
    private readonly limits: SigninLimits,
    private readonly now: () => number = Date.now,
  ) {}

  async reserve(email: string, ip: string): Promise<Reservation> {
    const [byEmail, byIp] = await Promise.all([this.hit(`email:${email}`), this.hit(`ip:${ip}`)]);
    const over = [
      { by: 'email' as const, counter: byEmail, max: this.limits.maxFailures },
      { by: 'ip' as const, counter: byIp, max: this.limits.maxFailuresPerIp },
    ].filter((c) => c.counter.count > c.max);
    if (over.length === 0) return { allowed: true, counters: [byEmail, byIp] };
    const retryAfterSeconds = Math.max(...over.map((c) => this.secondsLeft(c.counter)));
    return { allowed: false, retryAfterSeconds, limitedBy: over.map((c) => c.by) };
  }

  async succeeded(reservation: { counters: Counter[] }): Promise<void> {
    const [byEmail, byIp] = reservation.counters;
    await Promise.all([
      LoginAttempt.deleteOne({ _id: byEmail.key }),
      // Only in the window this attempt was counted in: a new window owes it nothing.
      LoginAttempt.updateOne(
        { _id: byIp.key, windowStart: byIp.windowStart, count: { $gt: 0 } },
        { $inc: { count: -1 } },
      ),
    ]);
  }

  /** Removes counters whose window is over (FerretDB has no TTL index to do it). */
  async deleteExpired(): Promise<number> {
    const { deletedCount } = await LoginAttempt.deleteMany({ windowStart: { $lte: this.windowCutoff() } });
    return deletedCount;
  }

  /**
   * Counts one attempt atomically: `$inc` inside a live window, else open a new window.
   * Opening matches only an expired window (or inserts), so of two racing openers one
   * wins and the other gets a duplicate key error and retries as an `$inc`.
   */
  private async hit(key: string): Promise<Counter> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const cutoff = this.windowCutoff();
      const counted = await LoginAttempt.findOneAndUpdate(
        { _id: key, windowStart: { $gt: cutoff } },
        { $inc: { count: 1 } },
        { new: true },
      ).lean();
      if (counted) return { key, count: counted.count, windowStart: counted.windowStart };
      try {
        const opened = await LoginAttempt.findOneAndUpdate(
          { _id: key, windowStart: { $lte: cutoff } },
          { $set: { count: 1, windowStart: new Date(this.now()) } },
          { new: true, upsert: true },
        ).lean();
        return { key, count: opened.count, windowStart: opened.windowStart };
      } catch (err) {
        if (!isDuplicateKeyError(err)) throw err;
      }
    }
    throw new Error(`Could not count a sign-in attempt for ${key.split(':')[0]}`);
  }

  private windowCutoff(): Date {
    return new Date(this.now() - this.limits.windowSeconds * 1000);
  }

  private secondsLeft(counter: Counter): number {
    const endsAt = counter.windowStart.getTime() + this.limits.windowSeconds * 1000;
    return Math.max(1, Math.ceil((endsAt - this.now()) / 1000));
  }
}
