import type { Request } from 'express';
import { NotAuthorizedError, NotFoundError } from '@ticketing/common';
import { Order, OrderDoc } from '../models/order';

/** The order named by `:id`, when it exists (404) and belongs to the signed-in user (401). */
export async function findOwnOrder(req: Request): Promise<OrderDoc> {
  const order = await Order.findById(req.params.id);
  if (!order) throw new NotFoundError();
  if (order.userId !== req.currentUser!.id) throw new NotAuthorizedError();
  return order;
}
