import mongoose from 'mongoose';

/** One counter of a rate limit: attempts of one key within the current window. */
export interface AttemptCounterAttrs {
  /** What is limited, e.g. `ip:<address>` or `email-ip:<address> <email>`. */
  _id: string;
  /** Attempts counted in the current window (failed ones, and ones still in progress). */
  count: number;
  /**
   * When the current window opened. FerretDB has no TTL indexes, so a window ends by
   * comparing this with the clock, and old documents are swept by the service.
   */
  windowStart: Date;
}

/**
 * The schema of every rate-limit collection. Each limiter has its own collection, so a
 * sweep by `windowStart` can use that limiter's window length.
 */
export function attemptCounterSchema() {
  return new mongoose.Schema<AttemptCounterAttrs>(
    {
      _id: { type: String, required: true },
      count: { type: Number, required: true },
      windowStart: { type: Date, required: true, index: true },
    },
    { versionKey: false },
  );
}

/** Sign-in counters: `email-ip:<ip> <email>` and `ip:<ip>`. */
export const LoginAttempt = mongoose.model<AttemptCounterAttrs>('LoginAttempt', attemptCounterSchema(), 'login-attempts');
