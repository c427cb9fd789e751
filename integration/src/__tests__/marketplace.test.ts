import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startStack, RunningStack } from '../../../scripts/stack';
import { ApiUser, eventually } from '../client';

// The five services, compiled, each on its own real servers (FerretDB per service, NATS
// Streaming, Redis, stripe-mock), behind the gateway that routes like the ingress.
jest.setTimeout(120_000);
const HOLD_SECONDS = 4;
let stack: RunningStack;
const timings: Record<string, number> = {};

beforeAll(async () => {
  stack = await startStack({
    apiOnly: true,
    gatewayPort: 0,
    // Many buyers sign up from one address here: raise auth's per-IP sign-up limit.
    env: { ORDER_EXPIRATION_SECONDS: String(HOLD_SECONDS), LOG_LEVEL: 'info', SIGNUP_MAX_PER_IP: '1000' },
    log: () => undefined,
  });
  timings.stackReadySeconds = stack.seconds;
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  const file = path.resolve(__dirname, '../../../.run/test-results/integration-timings.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(timings, null, 2));
  console.log(`integration timings: ${JSON.stringify(timings)}`);
});

const email = (who: string) => `${who}-${randomBytes(4).toString('hex')}@example.com`;
const user = (who: string) => new ApiUser(stack.url, email(who));

async function listTicket(seller: ApiUser, title: string, price: number) {
  const res = await seller.call('POST', '/api/tickets', { title, price });
  expect(res.status).toBe(201);
  return res.body as { id: string; version: number };
}

/** Orders learns of a ticket through ticket:created; until then the order is a 404. */
async function placeOrder(buyer: ApiUser, ticketId: string) {
  return eventually(`order for ${ticketId}`, async () => {
    const res = await buyer.call('POST', '/api/orders', { ticketId });
    return res.status === 404 ? undefined : res;
  });
}

it('when a buyer signs up, buys and pays, then the order is complete and the ticket stays sold', async () => {
  const t0 = Date.now();
  const seller = await user('seller').signup();
  const buyer = await user('buyer').signup();
  const ticket = await listTicket(seller, 'Concert', 42.5);

  const order = await placeOrder(buyer, ticket.id);
  expect(order.status).toBe(201);
  expect(order.body).toMatchObject({ status: 'created', userId: buyer.id, ticket: { id: ticket.id, price: 42.5 } });
  timings.listToOrderMs = Date.now() - t0;

  // tickets reserves it (order:created → ticket:updated with the orderId).
  await eventually('ticket reserved', async () => {
    const res = await buyer.call('GET', `/api/tickets/${ticket.id}`);
    return res.body.orderId === order.body.id ? res : undefined;
  });
  const listed = await buyer.call('GET', '/api/tickets');
  expect(listed.body.map((t: { id: string }) => t.id)).not.toContain(ticket.id);

  const t1 = Date.now();
  // payments learns of the order through order:created.
  const payment = await eventually('payment accepted', async () => {
    const res = await buyer.call('POST', '/api/payments', { token: 'tok_visa', orderId: order.body.id });
    return res.status === 404 ? undefined : res;
  });
  expect(payment.status).toBe(201);
  expect(payment.body.id).toEqual(expect.any(String));

  const complete = await eventually('order complete', async () => {
    const res = await buyer.call('GET', `/api/orders/${order.body.id}`);
    return res.body.status === 'complete' ? res : undefined;
  });
  timings.payToCompleteMs = Date.now() - t1;
  expect(complete.body.ticket.id).toBe(ticket.id);

  // Paid orders are final: no second payment, no cancellation, and the hold never expires them.
  const again = await buyer.call('POST', '/api/payments', { token: 'tok_visa', orderId: order.body.id });
  expect(again).toMatchObject({ status: 400, body: { errors: [{ message: 'Order has already been paid' }] } });
  const cancel = await buyer.call('DELETE', `/api/orders/${order.body.id}`);
  expect(cancel.status).toBe(400);
  await new Promise((r) => setTimeout(r, (HOLD_SECONDS + 2) * 1000));
  expect((await buyer.call('GET', `/api/orders/${order.body.id}`)).body.status).toBe('complete');
  expect((await buyer.call('GET', `/api/tickets/${ticket.id}`)).body.orderId).toBe(order.body.id);
});

it('when a buyer does not pay in time, then the order is cancelled and the ticket is free again', async () => {
  const seller = await user('seller').signup();
  const buyer = await user('slow-buyer').signup();
  const ticket = await listTicket(seller, 'Theatre', 30);
  const order = await placeOrder(buyer, ticket.id);
  expect(order.status).toBe(201);

  const t0 = Date.now();
  const cancelled = await eventually(
    'order cancelled by expiration',
    async () => {
      const res = await buyer.call('GET', `/api/orders/${order.body.id}`);
      return res.body.status === 'cancelled' ? res : undefined;
    },
    (HOLD_SECONDS + 20) * 1000,
  );
  timings.expiryAfterOrderMs = Date.now() - t0;
  expect(cancelled.body.status).toBe('cancelled');
  expect(Date.now() - Date.parse(order.body.expiresAt)).toBeGreaterThanOrEqual(-500);

  const freed = await eventually('ticket free again', async () => {
    const res = await buyer.call('GET', `/api/tickets/${ticket.id}`);
    return res.body.orderId === undefined ? res : undefined;
  });
  expect(freed.body.version).toBe(2); // created 0, reserved 1, freed 2
  await eventually('ticket listed again', async () => {
    const res = await buyer.call('GET', '/api/tickets');
    return res.body.some((t: { id: string }) => t.id === ticket.id) ? true : undefined;
  });

  // Paying for the expired order is refused; someone else can buy the ticket now.
  const late = await eventually('payments knows the cancellation', async () => {
    const res = await buyer.call('POST', '/api/payments', { token: 'tok_visa', orderId: order.body.id });
    return res.status === 400 ? res : undefined;
  });
  expect(late.body.errors[0].message).toBe('Cannot pay for a cancelled order');
  const second = await (await user('second-buyer').signup()).call('POST', '/api/orders', { ticketId: ticket.id });
  expect(second.status).toBe(201);
});

it('when 25 buyers order one ticket at the same moment, then exactly one order is created', async () => {
  const seller = await user('seller').signup();
  const ticket = await listTicket(seller, 'Final', 99);
  const buyers = await Promise.all(Array.from({ length: 25 }, (_, i) => user(`racer${i}`).signup()));
  // Wait until orders has the ticket, without reserving it: a stranger's own-ticket check.
  await eventually('orders knows the ticket', async () => {
    const res = await seller.call('POST', '/api/orders', { ticketId: ticket.id });
    return res.status === 400 ? res : undefined;
  });

  const t0 = Date.now();
  const results = await Promise.all(buyers.map((b) => b.call('POST', '/api/orders', { ticketId: ticket.id })));
  timings.raceOf25Ms = Date.now() - t0;
  const statuses = results.map((r) => r.status);
  expect(statuses.filter((s) => s === 201)).toHaveLength(1);
  expect(statuses.filter((s) => s === 400)).toHaveLength(24);
  for (const r of results.filter((x) => x.status === 400)) {
    expect(r.body).toEqual({ errors: [{ message: 'Ticket is already reserved' }] });
  }
});

it('when a route is unknown or a body is too large, then the gateway answers in the error shape', async () => {
  const res = await fetch(`${stack.url}/api/tickets`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'x'.repeat(2 * 1024 * 1024), price: 1 }),
  });
  expect(res.status).toBe(413);
  const unknown = await fetch(`${stack.url}/api/users/nothing-here`);
  expect(unknown.status).toBe(404);
  expect(await unknown.json()).toEqual({ errors: [{ message: 'Not Found' }] });
});
