import { Router } from 'express';
import { endSession } from '../services/session';

/** POST /api/users/signout: clears the session cookie. */
export function createSignoutRouter(): Router {
  const router = Router();
  router.post('/api/users/signout', (req, res) => {
    endSession(req);
    res.send({});
  });
  return router;
}
