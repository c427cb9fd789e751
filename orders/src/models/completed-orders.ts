import { OrderStatus } from '@ticketing/common';
import type { orderJson } from './order';

type OrderView = ReturnType<typeof orderJson>;

/** How many completed orders a process keeps: the newest, a few minutes of sales. */
const KEPT = 2_000;
const recent = new Map<string, OrderView>();

/**
 * Complete orders this process saw lately, as a client sees them: those it completed, and
 * those it read from the database as complete. A complete order never changes again — no
 * status change, payment step or refund applies to it (see models/order.ts: cancels, holds
 * and failures only touch active orders, refunds only cancelled ones) — so a copy taken
 * when it was complete is never stale. The buyer's last poll (GET /api/orders/:id reading
 * `complete`), the order list (GET /api/orders) and the order's expiration:complete are
 * answered from it instead of a database read. An order not kept here is read from the
 * database, as before. Any other status is left alone here: only finality makes a copy safe.
 */
export function keepIfComplete(view: OrderView): void {
  if (view.status !== OrderStatus.Complete) return;
  const id = view.id.toLowerCase();
  recent.delete(id);
  recent.set(id, view);
  if (recent.size > KEPT) recent.delete(recent.keys().next().value as string);
}

/** The order as the client sees it, when this process completed it lately. */
export function completedOrder(id: string): OrderView | undefined {
  return recent.get(id.toLowerCase());
}
