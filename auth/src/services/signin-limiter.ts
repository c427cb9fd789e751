import { LoginAttempt } from '../models/login-attempt';
import { Counter, WindowCounter } from './window-counter';

export interface SigninLimits {
  /** Failed sign-ins allowed per email AND client IP within a window. */
  maxFailures: number;
  /** Failed sign-ins allowed per client IP within a window (any emails). */
  maxFailuresPerIp: number;
  windowSeconds: number;
}

export type SigninLimit = 'email-ip' | 'ip';

/** The outcome of `reserve`: either go ahead (and report the result), or wait. */
export type Reservation =
  | { allowed: true; counters: [Counter, Counter] }
  | { allowed: false; retryAfterSeconds: number; limitedBy: SigninLimit[] };

/**
 * Sign-in rate limits kept in MongoDB. Each attempt is counted BEFORE its password is
 * checked: counting only failures afterwards would let a burst of parallel guesses all pass
 * the check while the counter still reads zero. A success then clears its (email, IP)
 * counter and gives the IP its attempt back.
 *
 * The keys are (email, IP) and IP, never the email alone: an email-only limit lets anyone
 * lock an owner out of their account by guessing wrong from anywhere. Guessing one account
 * from many addresses is bounded per address instead.
 */
export class SigninLimiter {
  private readonly counter: WindowCounter;

  constructor(
    private readonly limits: SigninLimits,
    now: () => number = Date.now,
  ) {
    this.counter = new WindowCounter(LoginAttempt, limits.windowSeconds, now);
  }

  /** The key of an (email, IP) pair: an IP never contains a space, so the first space splits it. */
  static pairKey(email: string, ip: string): string {
    return `email-ip:${ip} ${email}`;
  }

  async reserve(email: string, ip: string): Promise<Reservation> {
    const [byPair, byIp] = await Promise.all([
      this.counter.hit(SigninLimiter.pairKey(email, ip)),
      this.counter.hit(`ip:${ip}`),
    ]);
    const over = [
      { by: 'email-ip' as const, counter: byPair, max: this.limits.maxFailures },
      { by: 'ip' as const, counter: byIp, max: this.limits.maxFailuresPerIp },
    ].filter((c) => c.counter.count > c.max);
    if (over.length === 0) return { allowed: true, counters: [byPair, byIp] };
    const retryAfterSeconds = Math.max(...over.map((c) => this.counter.secondsLeft(c.counter)));
    return { allowed: false, retryAfterSeconds, limitedBy: over.map((c) => c.by) };
  }

  async succeeded(reservation: { counters: [Counter, Counter] }): Promise<void> {
    const [byPair, byIp] = reservation.counters;
    await Promise.all([this.counter.clear(byPair.key), this.counter.giveBack(byIp)]);
  }

  deleteExpired(): Promise<number> {
    return this.counter.deleteExpired();
  }
}
