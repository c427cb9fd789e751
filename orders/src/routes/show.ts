import { Request, Response, Router } from 'express';
import { requireAuth, requireObjectIdParam } from '@ticketing/common';
import { showOwnOrder } from './own-order';

/** GET /api/orders/:id: the signed-in buyer's own order. */
export function createShowOrderRouter(): Router {
  const router = Router();
  router.get('/api/orders/:id', requireAuth, requireObjectIdParam('id'), async (req: Request, res: Response) => {
    res.send(await showOwnOrder(req));
  });
  return router;
}
