import { ObjectId } from 'mongodb';
import { eventually, sleep } from './api';
import { ChaosStack, SERVICES } from './harness';

/** What one experiment touched: its orders and tickets. */
export class Scope {
  readonly orderIds = new Set<string>();
  readonly ticketIds = new Set<string>();
  /** Processes the experiment killed or paused on purpose. */
  readonly killed = new Set<string>();
  addOrder(id: string | undefined) {
    if (id) this.orderIds.add(id);
  }
  addTicket(id: string | undefined) {
    if (id) this.ticketIds.add(id);
  }
}

export interface Figures {
  [k: string]: string | number | boolean;
}

const PAID = new Set([undefined, null, 'succeeded', 'paid', 'complete', 'completed']);
/** The hold bound of the contract: within 30 s of the hold's end the ticket is free. */
const HOLD_BOUND_MS = 30_000;

const oid = (id: string) => (ObjectId.isValid(id) && id.length === 24 ? new ObjectId(id) : id);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = Record<string, any>;

/** The latest moment an order's hold may run (expiresAt, or a payment hold extension). */
export function holdEnd(order: Doc): number {
  let end = new Date(order.expiresAt).getTime();
  for (const [k, v] of Object.entries(order)) {
    if (/hold|until/i.test(k) && v instanceof Date) end = Math.max(end, v.getTime());
    if (/hold|until/i.test(k) && typeof v === 'string' && !Number.isNaN(Date.parse(v))) end = Math.max(end, Date.parse(v));
  }
  return end;
}

async function readAll(chaos: ChaosStack, scope: Scope) {
  const orderIds = [...scope.orderIds];
  const ticketIds = [...scope.ticketIds];
  const orders = (await chaos.db('orders').collection('orders').find({ _id: { $in: orderIds.map(oid) } } as never).toArray()) as Doc[];
  // Tickets of the scope's orders too.
  for (const o of orders) if (!ticketIds.includes(o.ticket.id)) ticketIds.push(o.ticket.id);
  const allOrdersOfTickets = (await chaos.db('orders').collection('orders').find({ 'ticket.id': { $in: ticketIds } } as never).toArray()) as Doc[];
  const tickets = (await chaos.db('tickets').collection('tickets').find({ _id: { $in: ticketIds.map(oid) } } as never).toArray()) as Doc[];
  const ticketReplicas = (await chaos.db('orders').collection('tickets').find({ _id: { $in: ticketIds } } as never).toArray()) as Doc[];
  const allOrderIds = [...new Set([...orderIds, ...allOrdersOfTickets.map((o) => String(o._id))])];
  const payments = (await chaos.db('payments').collection('payments').find({ orderId: { $in: allOrderIds } } as never).toArray()) as Doc[];
  const orderReplicas = (await chaos.db('payments').collection('orders').find({ _id: { $in: allOrderIds } } as never).toArray()) as Doc[];
  return { orders: allOrdersOfTickets, tickets, ticketReplicas, payments, orderReplicas, allOrderIds };
}

/**
 * The invariants after an experiment, read through the databases, the Stripe proxy and the
 * event tap. Settling checks poll (events travel, holds end within their 30 s bound);
 * returns the problems found (empty = all hold) and figures for the report.
 */
export async function checkInvariants(chaos: ChaosStack, scope: Scope, { settleMs = 40_000 } = {}): Promise<{ problems: string[]; figures: Figures }> {
  const problems: string[] = [];
  const figures: Figures = {};

  // 0. Every process runs; none died that the test did not kill.
  for (const h of chaos.stack.handles as unknown as import('./harness').ChaosHandle[]) {
    if (h.paused) problems.push(`${h.name} is still paused`);
    if (!h.running && !(SERVICES as readonly string[]).includes(h.name)) problems.push(`${h.name} is not running (${h.exitCode})`);
    const crashes = h.crashes;
    if (crashes.length) {
      problems.push(`${h.name} died unexpectedly ${crashes.length}× (${crashes.map((c) => c.code).join(', ')}); see ${h.logFile}`);
      h.crashes.length = 0; // reported once
    }
  }

  // 1. Holds end: every order that is not complete is cancelled, and its ticket free of
  // it, within 30 s of the hold's end (or of the payment's hold extension).
  let snapshot = await readAll(chaos, scope);
  const stuckDeadline = Math.max(Date.now(), ...snapshot.orders.filter((o) => o.status !== 'complete').map((o) => holdEnd(o) + HOLD_BOUND_MS));
  try {
    await eventually(
      'every unpaid hold ended',
      async () => {
        snapshot = await readAll(chaos, scope);
        const open = snapshot.orders.filter((o) => o.status !== 'complete' && o.status !== 'cancelled');
        const held = snapshot.tickets.filter((t) => t.orderId && snapshot.orders.find((o) => String(o._id) === t.orderId)?.status === 'cancelled');
        const settlingPayments = snapshot.payments.filter((p) => p.status === 'pending');
        return open.length === 0 && held.length === 0 && settlingPayments.length === 0 ? true : undefined;
      },
      Math.max(1_000, Math.min(stuckDeadline - Date.now(), 90_000)),
      500,
    );
  } catch {
    const open = snapshot.orders.filter((o) => o.status !== 'complete' && o.status !== 'cancelled');
    for (const o of open) problems.push(`order ${o._id} still ${o.status} ${Math.round((Date.now() - holdEnd(o)) / 1000)} s after its hold`);
    for (const t of snapshot.tickets) {
      const o = snapshot.orders.find((x) => String(x._id) === t.orderId);
      if (o?.status === 'cancelled') problems.push(`ticket ${t._id} still reserved by cancelled order ${t.orderId}`);
    }
    for (const p of snapshot.payments.filter((x) => x.status === 'pending')) problems.push(`payment ${p._id} of order ${p.orderId} still pending`);
  }

  // 2. Replicas agree and outboxes drain (no event lost, none applied twice).
  try {
    await eventually(
      'replicas agree and outboxes are empty',
      async () => {
        snapshot = await readAll(chaos, scope);
        return replicaProblems(snapshot).length === 0 ? true : undefined;
      },
      settleMs,
      500,
    );
  } catch {
    problems.push(...replicaProblems(snapshot));
  }

  // 3. Money: Stripe charges − refunds = payments recorded as paid = orders complete.
  const inScope = new Set(snapshot.allOrderIds);
  const net = chaos.proxy.net(inScope);
  const paid = snapshot.payments.filter((p) => PAID.has(p.status) && p.stripeId);
  const complete = snapshot.orders.filter((o) => o.status === 'complete');
  const paidCents = paid.reduce((a, p) => a + Number(p.amount ?? 0), 0);
  const completeCents = complete.reduce((a, o) => a + Math.round(o.ticket.price * 100), 0);
  Object.assign(figures, {
    charges: net.chargeCount,
    refunds: net.refundCount,
    netCents: net.charged - net.refunded,
    paid: paid.length,
    complete: complete.length,
  });
  if (net.charged - net.refunded !== paidCents || paidCents !== completeCents) {
    problems.push(
      `money: Stripe charged ${net.charged} − refunded ${net.refunded} = ${net.charged - net.refunded} cents (${net.chargeCount} charges, ${net.refundCount} refunds); payments paid ${paidCents} (${paid.length}); orders complete ${completeCents} (${complete.length})`,
    );
  }
  const perOrderCharges = new Map<string, number>();
  for (const c of chaos.proxy.charges.filter((x) => x.orderId && inScope.has(x.orderId))) perOrderCharges.set(c.orderId!, (perOrderCharges.get(c.orderId!) ?? 0) + 1);
  const refundedCharges = new Set(chaos.proxy.refunds.map((r) => r.charge));
  for (const [orderId, n] of perOrderCharges) {
    const kept = chaos.proxy.charges.filter((c) => c.orderId === orderId && !refundedCharges.has(c.id)).length;
    if (kept > 1) problems.push(`order ${orderId} charged ${n}× and ${kept} of them kept`);
  }
  const conflicts = chaos.proxy.requests.filter((r) => r.path === '/v1/charges' && r.status === 400 && r.idempotencyKey && r.params['metadata[orderId]'] && inScope.has(r.params['metadata[orderId]']));
  const keyReuse = conflicts.filter((r) => chaos.proxy.requests.some((x) => x !== r && x.idempotencyKey === r.idempotencyKey && x.at < r.at));
  if (keyReuse.length) problems.push(`${keyReuse.length} charge request(s) reused an idempotency key with other parameters (Stripe refuses them)`);
  const refundsTwice = new Map<string, number>();
  for (const r of chaos.proxy.refunds) refundsTwice.set(r.charge, (refundsTwice.get(r.charge) ?? 0) + 1);
  for (const [charge, n] of refundsTwice) if (n > 1 && chaos.proxy.charges.some((c) => c.id === charge && inScope.has(c.orderId ?? ''))) problems.push(`charge ${charge} refunded ${n}×`);

  // 4. Every sold ticket has exactly one complete order, and holds it.
  const byTicket = new Map<string, Doc[]>();
  for (const o of complete) byTicket.set(o.ticket.id, [...(byTicket.get(o.ticket.id) ?? []), o]);
  for (const [ticketId, os] of byTicket) {
    if (os.length > 1) problems.push(`ticket ${ticketId} sold ${os.length}× (orders ${os.map((o) => o._id).join(', ')})`);
    const t = snapshot.tickets.find((x) => String(x._id) === ticketId);
    if (t && t.orderId !== String(os[0]._id)) problems.push(`ticket ${ticketId} is sold by order ${os[0]._id} but held by ${t.orderId ?? 'nobody'}`);
  }

  // 5. Events: one event per change (distinct ids), versions contiguous, and every
  // complete order has exactly one payment:created.
  problems.push(...eventProblems(chaos, snapshot));
  figures.events = chaos.tap.events.size;
  return { problems, figures };
}

function replicaProblems(s: Awaited<ReturnType<typeof readAll>>): string[] {
  const out: string[] = [];
  for (const t of s.tickets) {
    const r = s.ticketReplicas.find((x) => String(x._id) === String(t._id));
    if (!r) out.push(`orders has no replica of ticket ${t._id}`);
    else if (r.version !== t.version) out.push(`ticket ${t._id}: tickets v${t.version}, orders' replica v${r.version}`);
    if (t.outbox?.length) out.push(`ticket ${t._id}: ${t.outbox.length} event(s) left in its outbox`);
  }
  for (const o of s.orders) {
    const r = s.orderReplicas.find((x) => String(x._id) === String(o._id));
    if (!r) out.push(`payments has no replica of order ${o._id}`);
    else if (o.status === 'complete' ? r.status === 'cancelled' : r.version !== o.version || r.status !== o.status) {
      // orders publishes nothing when an order completes, so payments' replica of a
      // complete order stays at the version it saw; it must never read cancelled.
      out.push(`order ${o._id}: orders ${o.status} v${o.version}, payments' replica ${r.status} v${r.version}`);
    }
    if (o.outbox?.length) out.push(`order ${o._id}: ${o.outbox.length} event(s) left in its outbox`);
  }
  for (const p of s.payments) if (p.outbox?.length) out.push(`payment ${p._id}: ${p.outbox.length} event(s) left in its outbox`);
  return out;
}

function eventProblems(chaos: ChaosStack, s: Awaited<ReturnType<typeof readAll>>): string[] {
  const out: string[] = [];
  const orderIds = new Set(s.orders.map((o) => String(o._id)));
  for (const o of s.orders) {
    const id = String(o._id);
    const created = chaos.tap.distinct('order:created', (e) => e.data?.id === id);
    const cancelled = chaos.tap.distinct('order:cancelled', (e) => e.data?.id === id);
    if (created.length !== 1) out.push(`order ${id}: ${created.length} distinct order:created events`);
    if (o.status === 'cancelled' && cancelled.length !== 1) out.push(`order ${id} cancelled: ${cancelled.length} distinct order:cancelled events`);
    if (o.status !== 'cancelled' && cancelled.length) out.push(`order ${id} is ${o.status} but order:cancelled was published`);
    const paidEvents = chaos.tap.distinct('payment:created', (e) => e.data?.orderId === id);
    if (o.status === 'complete' && paidEvents.length !== 1) out.push(`order ${id} complete with ${paidEvents.length} distinct payment:created events`);
    if (paidEvents.length > 1) out.push(`order ${id}: ${paidEvents.length} distinct payment:created events`);
    const refunded = chaos.tap.distinct('payment:refunded', (e) => e.data?.orderId === id);
    if (refunded.length > 1) out.push(`order ${id}: ${refunded.length} distinct payment:refunded events`);
  }
  for (const t of s.tickets) {
    const id = String(t._id);
    const updates = chaos.tap.distinct('ticket:updated', (e) => e.data?.id === id);
    const versions = updates.map((e) => e.data.version).sort((a: number, b: number) => a - b);
    const expected = Array.from({ length: t.version }, (_, i) => i + 1);
    if (JSON.stringify(versions) !== JSON.stringify(expected)) out.push(`ticket ${id} v${t.version}: ticket:updated versions seen [${versions.join(',')}]`);
  }
  void orderIds;
  return out;
}

/** Every document of the services' databases that events change: status and version. */
export async function snapshotState(chaos: ChaosStack): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const grab = async (db: 'orders' | 'tickets' | 'payments', coll: string, fields: string[]) => {
    const docs = (await chaos.db(db).collection(coll).find({}).toArray()) as Doc[];
    for (const d of docs) out.set(`${db}.${coll}/${d._id}`, JSON.stringify(fields.map((f) => d[f])));
  };
  await grab('orders', 'orders', ['status', 'version', 'paymentId']);
  await grab('orders', 'tickets', ['version', 'title', 'price']);
  await grab('tickets', 'tickets', ['version', 'orderId']);
  await grab('payments', 'orders', ['status', 'version']);
  await grab('payments', 'payments', ['status', 'stripeId', 'refundId']);
  return out;
}

export function diffState(before: Map<string, string>, after: Map<string, string>, ignore: (key: string) => boolean): string[] {
  const out: string[] = [];
  for (const [k, v] of before) if (!ignore(k) && after.get(k) !== v) out.push(`${k}: ${v} → ${after.get(k) ?? '(gone)'}`);
  for (const k of after.keys()) if (!ignore(k) && !before.has(k)) out.push(`${k}: new`);
  return out;
}

export { sleep };
