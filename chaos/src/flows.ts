import { ObjectId } from 'mongodb';
import { ApiResponse, ApiUser, eventually } from './api';
import { ChaosStack } from './harness';
import { Scope } from './invariants';

/** Lists a ticket and waits until orders' replica has it (ticket:created travelled). */
export async function listTicket(chaos: ChaosStack, seller: ApiUser, scope: Scope, price = 20, title = 'Chaos gig'): Promise<string> {
  const res = await seller.call('POST', '/api/tickets', { title, price });
  if (res.status !== 201) throw new Error(`listing a ticket: ${res.status} ${JSON.stringify(res.body)}`);
  const id = res.body.id as string;
  scope.addTicket(id);
  await eventually(`orders knows ticket ${id}`, async () => ((await chaos.db('orders').collection('tickets').findOne({ _id: id } as never)) ? true : undefined), 20_000);
  return id;
}

export async function placeOrder(buyer: ApiUser, ticketId: string, scope: Scope): Promise<ApiResponse> {
  const res = await buyer.call('POST', '/api/orders', { ticketId });
  if (res.status === 201) scope.addOrder(res.body.id);
  return res;
}

/** Waits until payments' replica has the order (order:created travelled). */
export async function paymentsKnows(chaos: ChaosStack, orderId: string, timeoutMs = 20_000): Promise<void> {
  await eventually(`payments knows order ${orderId}`, async () => ((await chaos.db('payments').collection('orders').findOne({ _id: orderId } as never)) ? true : undefined), timeoutMs);
}

export async function orderDoc(chaos: ChaosStack, orderId: string) {
  return chaos.db('orders').collection('orders').findOne({ _id: new ObjectId(orderId) });
}

export async function ticketDoc(chaos: ChaosStack, ticketId: string) {
  return chaos.db('tickets').collection('tickets').findOne({ _id: new ObjectId(ticketId) });
}

export const pay = (buyer: ApiUser, orderId: string, token = 'tok_visa', timeoutMs = 90_000) =>
  buyer.call('POST', '/api/payments', { token, orderId }, timeoutMs);

/** The order's status as stored by orders, polled until `want` (or the timeout). */
export async function waitOrderStatus(chaos: ChaosStack, orderId: string, want: string[], timeoutMs: number): Promise<string> {
  let last = '(none)';
  try {
    return await eventually(
      `order ${orderId} ${want.join('/')}`,
      async () => {
        const o = await orderDoc(chaos, orderId);
        last = o?.status ?? '(none)';
        return o && want.includes(o.status) ? (o.status as string) : undefined;
      },
      timeoutMs,
      300,
    );
  } catch {
    return last;
  }
}

export const until = (at: number) => new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
