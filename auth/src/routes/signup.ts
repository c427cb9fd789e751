import { Request, Response, Router } from 'express';
import { body } from 'express-validator';
import { BadRequestError, isDuplicateKeyError, validateRequest } from '@ticketing/common';
import { User } from '../models/user';
import { PasswordHasher } from '../services/password';
import { SessionSettings, startSession } from '../services/session';
import { Credentials, emailField } from './fields';

export function signupRouter(deps: { hasher: PasswordHasher; session: SessionSettings }): Router {
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
      const hashed = await deps.hasher.hash(password);
      let user;
      try {
        // No lookup first: the unique index decides, so two simultaneous signups of one
        // email cannot both pass a check and both be stored.
        user = await User.create({ email, password: hashed });
      } catch (err) {
        if (isDuplicateKeyError(err)) throw new BadRequestError('Email in use', 'email');
        throw err;
      }
      startSession(req, { id: user.id, email: user.email }, deps.session);
      res.status(201).send(user);
    },
  );
  return router;
}
