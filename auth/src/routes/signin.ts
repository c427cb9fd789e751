import { Request, Response, Router } from 'express';
import { body } from 'express-validator';
import { BadRequestError, Logger, TooManyRequestsError, validateRequest } from '@ticketing/common';
import { findUserByEmail, User } from '../models/user';
import { HashGate } from '../services/hash-gate';
import { PasswordHasher } from '../services/password';
import { SessionSettings, startSession } from '../services/session';
import { SigninLimiter } from '../services/signin-limiter';
import { Credentials, emailField } from './fields';

/** POST /api/users/signin: one answer and the same work for an unknown email and a wrong password. */
export function createSigninRouter(deps: {
  hasher: PasswordHasher;
  hashGate: HashGate;
  session: SessionSettings;
  limiter: SigninLimiter;
  logger: Logger;
}): Router {
  const router = Router();
  router.post(
    '/api/users/signin',
    [emailField(), body('password', 'You must supply a password').isString().bail().notEmpty()],
    validateRequest,
    async (req: Request, res: Response) => {
      const { email, password } = req.body as Credentials;

      // No hashing capacity: 503 at once, before any database work and before the attempt
      // is counted (the request log line records it).
      const admission = deps.hashGate.admit();
      try {
        // Before the password is looked at, so a limited (email, IP) refuses even the right one.
        const reservation = await deps.limiter.reserve(email, req.ip ?? 'unknown');
        if (!reservation.allowed) {
          deps.logger.warn({ reqId: req.id, ip: req.ip, limitedBy: reservation.limitedBy }, 'signin rate limited');
          throw new TooManyRequestsError(reservation.retryAfterSeconds);
        }

        const user = await findUserByEmail(email);
        // One text for an unknown email and a wrong password, and the same scrypt work.
        const matches = await admission.run(() => deps.hasher.verify(password, user?.password));
        if (!user || !matches) throw new BadRequestError('Invalid credentials');

        // Only with a slot free now: an upgrade never delays a sign-in; the next one retries it.
        const rehashed = deps.hasher.needsRehash(user.password)
          ? await admission.runIfIdle(() => deps.hasher.hash(password))
          : undefined;
        admission.release();
        await deps.limiter.succeeded(reservation);
        // Compare-and-set on the old hash: a password changed meanwhile is not overwritten.
        if (rehashed) await User.updateOne({ _id: user._id, password: user.password }, { $set: { password: rehashed } });

        startSession(req, { id: user.id, email: user.email }, deps.session);
        res.status(200).send(user);
      } finally {
        admission.release();
      }
    },
  );
  return router;
}
