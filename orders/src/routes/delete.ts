import { Request, Response, Router } from 'express';
import { BadRequestError, OrderStatus, requireAuth, requireObjectIdParam } from '@ticketing/common';
import { cancelOrder } from '../models/order';
import { findOwnOrder } from './own-order';

/** DELETE /api/orders/:id: the buyer cancels their own order (204), unless it is complete. */
export function createDeleteOrderRouter(): Router {
  const router = Router();
  router.delete('/api/orders/:id', requireAuth, requireObjectIdParam('id'), async (req: Request, res: Response) => {
    const order = await findOwnOrder(req);
    // Decided on the state after the compare-and-set, not on the read above: a payment that
    // lands in between wins, and the buyer is told the order is complete.
    const after = await cancelOrder(order.id, { requestId: req.id });
    if (after?.status === OrderStatus.Complete) throw new BadRequestError('Cannot cancel a completed order');
    res.status(204).send();
  });
  return router;
}
