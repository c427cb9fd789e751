import mongoose from 'mongoose';

interface LoginAttemptAttrs {
  /** What is limited: `email:<address>` or `ip:<address>`. */
  _id: string;
  /** Sign-ins counted in the current window (failed ones, and ones still in progress). */
  count: number;
  /**
   * When the current window opened. FerretDB has no TTL indexes, so a window ends by
   * comparing this with the clock, and old documents are swept by the service.
   */
  windowStart: Date;
}

const loginAttemptSchema = new mongoose.Schema<LoginAttemptAttrs>(
  {
    _id: { type: String, required: true },
    count: { type: Number, required: true },
    windowStart: { type: Date, required: true, index: true },
  },
  { versionKey: false },
);

export const LoginAttempt = mongoose.model<LoginAttemptAttrs>('LoginAttempt', loginAttemptSchema, 'login-attempts');
