import { Request, Response, Router } from 'express';
import { body } from 'express-validator';
import { BadRequestError, Logger, TooManyRequestsError, validateRequest } from '@ticketing/common';
import { createUser, emailInUse } from '../models/user';
import { HashGate } from '../services/hash-gate';
import { PasswordHasher } from '../services/password';
import { SessionSettings, startSession } from '../services/session';
import { SignupLimiter } from '../services/signup-limiter';
import { Credentials, emailField } from './fields';

/** POST /api/users/signup: a new account, signed in; every cheap refusal before the hash. */
export function createSignupRouter(deps: {
  hasher: PasswordHasher;
  hashGate: HashGate;
  session: SessionSettings;
  limiter: SignupLimiter;
  logger: Logger;
}): Router {
  const router = Router();
  router.post(
    '/api/users/signup',
    [
      emailField(),
      body('password', 'Password must be between 8 and 128 characters').isString().bail().isLength({ min: 8, max: 128 }),
    ],
    validateRequest,
    async (req: Request, res: Response) => {
      const { email, password } = req.body as Credentials;
      // The hash is the expensive part, so every cheap refusal comes first: no capacity
      // (503 at once, before any database work; the request log line records it), the
      // client's sign-up budget, an email already taken.
      const admission = deps.hashGate.admit();
      try {
        const reservation = await deps.limiter.reserve(req.ip ?? 'unknown');
        if (!reservation.allowed) {
          deps.logger.warn({ reqId: req.id, ip: req.ip }, 'signup rate limited');
          throw new TooManyRequestsError(reservation.retryAfterSeconds);
        }
        if (await emailInUse(email)) throw new BadRequestError('Email in use', 'email');
        const hashed = await admission.run(() => deps.hasher.hash(password));
        admission.release();

        // Two sign-ups of one email can both pass the check above: the unique index decides.
        const user = await createUser(email, hashed);
        if (!user) throw new BadRequestError('Email in use', 'email');
        startSession(req, { id: user.id, email: user.email }, deps.session);
        res.status(201).send(user);
      } finally {
        admission.release();
      }
    },
  );
  return router;
}
