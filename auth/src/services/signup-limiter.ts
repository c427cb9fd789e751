import { SignupAttempt } from '../models/signup-attempt';
import { Counter, WindowCounter } from './window-counter';

export interface SignupLimits {
  /** Sign-ups (successful or not) allowed per client IP within a window. */
  maxPerIp: number;
  windowSeconds: number;
}

export type SignupReservation = { allowed: true; counter: Counter } | { allowed: false; retryAfterSeconds: number };

/**
 * Sign-ups per client IP, counted before any other work: each sign-up costs a full scrypt,
 * so an anonymous client must not be able to spend the service's CPU at will.
 */
export class SignupLimiter {
  private readonly counter: WindowCounter;

  constructor(
    private readonly limits: SignupLimits,
    now: () => number = Date.now,
  ) {
    this.counter = new WindowCounter(SignupAttempt, limits.windowSeconds, now);
  }

  async reserve(ip: string): Promise<SignupReservation> {
    const counter = await this.counter.hit(`ip:${ip}`);
    if (counter.count <= this.limits.maxPerIp) return { allowed: true, counter };
    return { allowed: false, retryAfterSeconds: this.counter.secondsLeft(counter) };
  }

  deleteExpired(): Promise<number> {
    return this.counter.deleteExpired();
  }
}
