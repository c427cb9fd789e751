import type { Request } from 'express';
import { findByIdRaw, NotAuthorizedError, NotFoundError } from '@ticketing/common';
import { completedOrder, keepIfComplete } from '../models/completed-orders';
import { Order, OrderDoc, orderJson, StoredOrder } from '../models/order';

function own<T extends { userId: string }>(order: T | null, req: Request): T {
  if (!order) throw new NotFoundError();
  if (order.userId !== req.currentUser!.id) throw new NotAuthorizedError();
  return order;
}

/** The order named by `:id`, when it exists (404) and belongs to the signed-in user (401). */
export async function findOwnOrder(req: Request): Promise<OrderDoc> {
  return own<OrderDoc>(await Order.findById(req.params.id), req);
}

/**
 * The same order as the client sees it, read through the driver (common findByIdRaw):
 * nothing to change, so no query or document is built (the buyer's poll while a payment
 * completes is the busiest read of orders).
 */
export async function showOwnOrder(req: Request): Promise<ReturnType<typeof orderJson>> {
  // A complete order never changes: a copy kept by this process is current.
  const complete = completedOrder(String(req.params.id));
  if (complete) return own(complete, req);
  const view = orderJson(own<StoredOrder>(await findByIdRaw<StoredOrder>(Order, req.params.id), req));
  keepIfComplete(view);
  return view;
}
