import { Request, Response, Router } from 'express';
import { requireAuth } from '@ticketing/common';
import { Order } from '../models/order';

export const indexOrderRouter = Router();

indexOrderRouter.get('/api/orders', requireAuth, async (req: Request, res: Response) => {
  // _id breaks ties between orders created in the same millisecond, newest still first.
  const orders = await Order.find({ userId: req.currentUser!.id }).sort({ createdAt: -1, _id: -1 });
  res.send(orders);
});
