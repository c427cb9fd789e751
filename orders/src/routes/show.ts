import { Request, Response, Router } from 'express';
import { requireAuth, requireObjectIdParam } from '@ticketing/common';
import { findOwnOrder } from './own-order';

export const showOrderRouter = Router();

showOrderRouter.get('/api/orders/:id', requireAuth, requireObjectIdParam('id'), async (req: Request, res: Response) => {
  res.send(await findOwnOrder(req));
});
