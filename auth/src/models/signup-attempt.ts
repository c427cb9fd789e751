import mongoose from 'mongoose';
import { AttemptCounterAttrs, attemptCounterSchema } from './login-attempt';

/** Sign-up counters, one per client IP: `ip:<ip>`. */
export const SignupAttempt = mongoose.model<AttemptCounterAttrs>('SignupAttempt', attemptCounterSchema(), 'signup-attempts');
