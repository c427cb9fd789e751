import { Router } from 'express';

/**
 * GET /api/users/currentuser: who the session says is signed in, or null. createApp's
 * currentUser middleware has already verified the JWT; anything invalid is null.
 */
export function createCurrentUserRouter(): Router {
  const router = Router();
  router.get('/api/users/currentuser', (req, res) => {
    res.send({ currentUser: req.currentUser ?? null });
  });
  return router;
}
