import fs from 'node:fs';
import path from 'node:path';
import { ApiUser, sleep } from '../api';
import { ChaosStack, dbReady, ready, startChaosStack } from '../harness';
import { checkInvariants, diffState, Figures, Scope, snapshotState } from '../invariants';
import { listTicket, orderDoc, pay, paymentsKnows, placeOrder, ticketDoc, until, waitOrderStatus } from '../flows';

// Fault injection on real processes of the local stack (issue 10.6): kill -9, SIGSTOP /
// SIGCONT and restarts on the same data directory, with a counting proxy in front of
// stripe-mock. After each experiment the invariants are checked (../invariants.ts) and one
// report line is written; the report goes to .run/test-results/chaos.txt.
const HOLD_SECONDS = 5;
const REPORT = path.resolve(__dirname, '../../../.run/test-results/chaos.txt');
let chaos: ChaosStack;
let seller: ApiUser;
const lines: string[] = [];
const started = Date.now();

beforeAll(async () => {
  chaos = await startChaosStack({ holdSeconds: HOLD_SECONDS });
  seller = await chaos.user('seller');
  lines.push(`stack ready in ${chaos.stack.seconds.toFixed(1)} s (hold ${HOLD_SECONDS} s); logs in ${chaos.stack.logDir}`);
}, 180_000);

afterAll(async () => {
  lines.push(`total ${((Date.now() - started) / 1000).toFixed(0)} s`);
  const text = `chaos report (${new Date().toISOString()})\n${lines.join('\n')}\n`;
  fs.mkdirSync(path.dirname(REPORT), { recursive: true });
  fs.writeFileSync(REPORT, text);
  console.log(text);
  await chaos?.stop();
}, 60_000);

const fmt = (f: Figures) =>
  Object.entries(f)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

/**
 * One experiment: runs it, checks the invariants on what it touched, writes its report
 * line, and fails with every problem found.
 */
function experiment(name: string, timeoutMs: number, run: (scope: Scope, figures: Figures) => Promise<string[] | void>) {
  it(
    name,
    async () => {
      const scope = new Scope();
      const figures: Figures = {};
      const t0 = Date.now();
      const problems: string[] = [];
      try {
        problems.push(...((await run(scope, figures)) ?? []));
      } catch (err) {
        problems.push(`experiment aborted: ${(err as Error).message}`);
      } finally {
        // Whatever happened, nothing stays paused and every process runs again.
        chaos.proxy.release();
        for (const h of chaos.stack.handles as unknown as import('../harness').ChaosHandle[]) {
          if (h.paused) h.resume();
          if (!h.running) {
            problems.push(`${h.name} was left stopped; restarted`);
            await h.restart();
          }
        }
      }
      const inv = await checkInvariants(chaos, scope);
      problems.push(...inv.problems);
      Object.assign(figures, inv.figures, { s: Math.round((Date.now() - t0) / 1000) });
      const result = problems.length ? 'FAIL' : 'PASS';
      lines.push(`${result} ${name} | ${fmt(figures)}${problems.length ? ` | ${problems.join('; ')}` : ''}`);
      expect(problems).toEqual([]);
    },
    timeoutMs,
  );
}

const reason = (r: { status: number; body?: any; error?: string }) => // eslint-disable-line @typescript-eslint/no-explicit-any
  `${r.status}${r.error ? ` ${r.error}` : r.body?.errors ? ` "${r.body.errors[0]?.message}"` : ''}`;

experiment('1 pay while the hold runs out, Stripe slow mid-charge', 120_000, async (scope, figures) => {
  const a = await chaos.user('buyer-a');
  const b = await chaos.user('buyer-b');
  const ticket = await listTicket(chaos, seller, scope, 21.5);
  const order = await placeOrder(a, ticket, scope);
  if (order.status !== 201) return [`buyer A could not order: ${reason(order)}`];
  await paymentsKnows(chaos, order.body.id);
  const expiresAt = Date.parse(order.body.expiresAt);
  await until(expiresAt - 1_500);
  chaos.proxy.holdResponses(); // Stripe charges, its answer is late
  const paying = pay(a, order.body.id);
  await chaos.proxy.waitForHeld(1, 10_000);
  await until(expiresAt + 4_000); // the hold ran out while the charge was in flight
  chaos.proxy.release();
  const paidA = await paying;
  figures.payA = paidA.status;
  const statusA = await waitOrderStatus(chaos, order.body.id, ['complete', 'cancelled'], 35_000);
  figures.orderA = statusA;
  // Buyer B tries the same ticket: allowed only when A's order did not keep it.
  const orderB = await placeOrder(b, ticket, scope);
  figures.orderB = orderB.status;
  if (orderB.status === 201) {
    await paymentsKnows(chaos, orderB.body.id);
    figures.payB = (await pay(b, orderB.body.id)).status;
  }
  const problems: string[] = [];
  if (paidA.status === 201 && statusA !== 'complete') problems.push(`A was told 201 but the order is ${statusA}`);
  if (paidA.status >= 500 || paidA.status === 0) problems.push(`A's payment answered ${reason(paidA)}`);
  return problems;
});

experiment('2 payments killed -9 right after Stripe answered; reconciler settles', 180_000, async (scope, figures) => {
  const buyer = await chaos.user('buyer');
  const ticket = await listTicket(chaos, seller, scope, 33);
  const order = await placeOrder(buyer, ticket, scope);
  if (order.status !== 201) return [`could not order: ${reason(order)}`];
  await paymentsKnows(chaos, order.body.id);
  chaos.proxy.holdResponses();
  const paying = pay(buyer, order.body.id);
  await chaos.proxy.waitForHeld(1, 10_000);
  const payments = chaos.handle('payments');
  payments.kill('SIGKILL');
  await payments.exited;
  chaos.proxy.release(); // the charge exists at Stripe; its answer reaches nobody
  figures.pay = (await paying).status;
  await payments.restart();
  figures.restartMs = await ready(chaos, 'payments');
  // The buyer never comes back: the reconciler alone settles the stored attempt.
  const t0 = Date.now();
  const status = await waitOrderStatus(chaos, order.body.id, ['complete', 'cancelled'], 75_000);
  figures.order = status;
  figures.settledMs = Date.now() - t0;
  const payment = await chaos.db('payments').collection('payments').findOne({ orderId: order.body.id });
  figures.payment = String(payment?.status ?? (payment ? 'recorded' : 'none'));
  // Then a retry with a new card token (Stripe.js makes one per attempt) changes nothing.
  const retry = await pay(buyer, order.body.id, 'tok_mastercard');
  figures.retry = retry.status;
  const problems: string[] = [];
  if (retry.status >= 500 && retry.status !== 503) problems.push(`retry answered ${reason(retry)}`);
  if (retry.status === 400 && !/already been paid|cancelled/i.test(JSON.stringify(retry.body))) problems.push(`retry answered ${reason(retry)}`);
  return problems;
});

experiment('3 orders DB killed -9 before a payment, restarted on its data 12 s later', 150_000, async (scope, figures) => {
  const buyer = await chaos.user('buyer');
  const ticket = await listTicket(chaos, seller, scope, 12);
  const order = await placeOrder(buyer, ticket, scope);
  if (order.status !== 201) return [`could not order: ${reason(order)}`];
  await paymentsKnows(chaos, order.body.id);
  const db = chaos.handle('orders-db');
  db.kill('SIGKILL');
  await db.exited;
  const down = Date.now();
  const paid = await pay(buyer, order.body.id);
  figures.pay = paid.status;
  const read = await buyer.call('GET', `/api/orders/${order.body.id}`, undefined, 12_000);
  figures.readWhileDown = read.status;
  await until(down + 12_000);
  await db.restart();
  await dbReady(chaos, 'orders');
  figures.order = await waitOrderStatus(chaos, order.body.id, ['complete', 'cancelled'], 45_000);
  const problems: string[] = [];
  if (read.status === 500 || read.status === 0) problems.push(`GET order while its DB was down answered ${reason(read)} (want 503)`);
  if (paid.status === 201 && figures.order !== 'complete') problems.push(`payment answered 201 but the order is ${figures.order}`);
  return problems;
});

experiment('4 orders DB and NATS Streaming SIGSTOPped together 15 s', 150_000, async (scope, figures) => {
  const buyer = await chaos.user('buyer');
  const ticket = await listTicket(chaos, seller, scope, 15);
  const order = await placeOrder(buyer, ticket, scope);
  if (order.status !== 201) return [`could not order: ${reason(order)}`];
  await paymentsKnows(chaos, order.body.id);
  const db = chaos.handle('orders-db');
  const nats = chaos.handle('nats-streaming');
  db.pause();
  nats.pause();
  const t0 = Date.now();
  const [browse, paid] = await Promise.all([buyer.call('GET', '/api/tickets', undefined, 10_000), pay(buyer, order.body.id, 'tok_visa', 30_000)]);
  figures.browse = browse.status;
  figures.pay = paid.status;
  await until(t0 + 15_000);
  db.resume();
  nats.resume();
  figures.order = await waitOrderStatus(chaos, order.body.id, ['complete', 'cancelled'], 45_000);
  await sleep(2_000);
  const orders = chaos.handle('orders');
  figures.ordersAlive = orders.running && orders.crashes.length === 0;
  const problems: string[] = [];
  if (browse.status !== 200) problems.push(`browsing answered ${reason(browse)} while orders' DB and NATS were paused`);
  if (paid.status === 201 && figures.order !== 'complete') problems.push(`payment answered 201 but the order is ${figures.order}`);
  return problems;
});

experiment('5 Redis flushed after the expiration job was scheduled; the hold still ends', 120_000, async (scope, figures) => {
  const a = await chaos.user('buyer-a');
  const b = await chaos.user('buyer-b');
  const ticket = await listTicket(chaos, seller, scope, 9);
  const order = await placeOrder(a, ticket, scope);
  if (order.status !== 201) return [`could not order: ${reason(order)}`];
  // expiration schedules its job on order:created: wait until Redis holds some key.
  const redis = chaos.redis();
  const keysBefore = await redis.dbsize();
  await sleep(1_500);
  figures.redisKeys = await redis.dbsize();
  await redis.flushall();
  const expiresAt = Date.parse(order.body.expiresAt);
  const status = await waitOrderStatus(chaos, order.body.id, ['cancelled'], expiresAt + 30_000 - Date.now());
  figures.order = status;
  figures.cancelledAfterHoldMs = Date.now() - expiresAt;
  const again = await placeOrder(b, ticket, scope);
  figures.reorder = again.status;
  void keysBefore;
  const problems: string[] = [];
  if (status !== 'cancelled') problems.push(`order still ${status} 30 s after its hold ended`);
  if (again.status !== 201) problems.push(`another buyer could not order the ticket: ${reason(again)}`);
  return problems;
});

experiment('6 kill -9 of each service between its DB write and its publish', 180_000, async (scope, figures) => {
  const b1 = await chaos.user('buyer-1');
  const b2 = await chaos.user('buyer-2');
  const t1 = await listTicket(chaos, seller, scope, 11);
  const t2 = await listTicket(chaos, seller, scope, 12);
  const t3 = await listTicket(chaos, seller, scope, 13);
  const o1 = await placeOrder(b1, t1, scope);
  if (o1.status !== 201) return [`could not order: ${reason(o1)}`];
  await paymentsKnows(chaos, o1.body.id);
  const nats = chaos.handle('nats-streaming');
  const events0 = chaos.tap.events.size;
  nats.pause();
  // Writes whose events cannot leave: tickets (edit), orders (new order), payments (charge).
  const [edit, o2, paid] = await Promise.all([
    seller.call('PUT', `/api/tickets/${t3}`, { title: 'Chaos gig (moved)', price: 13 }),
    placeOrder(b2, t2, scope),
    pay(b1, o1.body.id, 'tok_visa', 20_000),
  ]);
  Object.assign(figures, { edit: edit.status, order: o2.status, pay: paid.status });
  const killed = ['tickets', 'orders', 'payments'];
  for (const s of killed) chaos.handle(s).kill('SIGKILL');
  for (const s of killed) await chaos.handle(s).exited;
  nats.resume();
  for (const s of killed) await chaos.handle(s).restart();
  for (const s of killed) await ready(chaos, s);
  // expiration: its job for o2 fires while NATS is paused; killed before the publish lands.
  if (o2.status === 201) {
    await paymentsKnows(chaos, o2.body.id, 30_000);
    const expiresAt = Date.parse(o2.body.expiresAt);
    if (expiresAt - Date.now() > 600) {
      await until(expiresAt - 500);
      nats.pause();
      await until(expiresAt + 1_500);
      chaos.handle('expiration').kill('SIGKILL');
      await chaos.handle('expiration').exited;
      nats.resume();
      await chaos.handle('expiration').restart();
      await ready(chaos, 'expiration');
      figures.expirationKilled = true;
    }
  }
  figures.o1 = await waitOrderStatus(chaos, o1.body.id, ['complete', 'cancelled'], 40_000);
  if (o2.status === 201) figures.o2 = await waitOrderStatus(chaos, o2.body.id, ['cancelled'], 40_000);
  // The edit's ticket:updated leaves tickets' outbox when the restarted tickets sweeps it,
  // and orders applies it a hop later: wait for it (bounded) rather than read it once.
  const { eventually } = await import('../api');
  const readReplica = () => chaos.db('orders').collection('tickets').findOne({ _id: t3 } as never);
  const replica =
    edit.status === 200
      ? await eventually(
          'orders applies the edit of the ticket',
          async () => {
            const r = await readReplica();
            return r?.version === 1 && r.title === 'Chaos gig (moved)' ? r : undefined;
          },
          30_000,
          200,
        ).catch(readReplica)
      : await readReplica();
  figures.t3replica = `v${replica?.version}`;
  figures.newEvents = chaos.tap.events.size - events0;
  const problems: string[] = [];
  if (edit.status === 200 && (replica?.version !== 1 || replica?.title !== 'Chaos gig (moved)')) problems.push(`orders' replica of the edited ticket: v${replica?.version} "${replica?.title}"`);
  // order:cancelled leaves orders through its outbox after the write that cancelled o2: the
  // ticket is freed a hop later, so wait for it (bounded) rather than read it once.
  const t2doc = await eventually(
    'the expired order\'s ticket is freed',
    async () => {
      const t = await ticketDoc(chaos, t2);
      return t?.version === 2 && !t.orderId ? t : undefined;
    },
    30_000,
    200,
  ).catch(() => ticketDoc(chaos, t2));
  if (o2.status === 201 && (t2doc?.version !== 2 || t2doc?.orderId)) problems.push(`ticket of the expired order: v${t2doc?.version} held by ${t2doc?.orderId ?? 'nobody'} (want v2, free)`);
  return problems;
});

experiment('7 NATS Streaming killed -9 and restarted during a race of 10 buyers for 5 tickets', 180_000, async (scope, figures) => {
  const tickets: string[] = [];
  for (let i = 0; i < 5; i++) tickets.push(await listTicket(chaos, seller, scope, 10 + i));
  const buyers: ApiUser[] = [];
  for (let i = 0; i < 10; i++) buyers.push(await chaos.user(`racer${i}`));
  const orders = await Promise.all(buyers.map((b, i) => placeOrder(b, tickets[i % 5], scope)));
  const winners = orders.map((o, i) => ({ o, b: buyers[i] })).filter((x) => x.o.status === 201);
  figures.orders201 = winners.length;
  await Promise.all(winners.map((w) => paymentsKnows(chaos, w.o.body.id)));
  const nats = chaos.handle('nats-streaming');
  const paying = Promise.all(winners.map((w) => pay(w.b, w.o.body.id)));
  await sleep(150);
  nats.kill('SIGKILL');
  await nats.exited;
  const browse = await buyers[0].call('GET', '/api/tickets', undefined, 10_000);
  await sleep(2_000);
  await nats.restart();
  const paid = await paying;
  figures.paid201 = paid.filter((p) => p.status === 201).length;
  figures.browseWhileDown = browse.status;
  const final = await Promise.all(winners.map((w) => waitOrderStatus(chaos, w.o.body.id, ['complete', 'cancelled'], 45_000)));
  figures.sold = final.filter((s) => s === 'complete').length;
  // Expiration ends every hold with expiration:complete, complete orders too (orders ignores
  // those). These holds end while the bus is down or just back: the publish fails and is
  // retried, so the event comes seconds late but must come. Waited for here, which also
  // keeps a late one out of the next experiment (seen: CI counted 5 of them as reactions
  // to experiment 8's duplicates).
  const { eventually } = await import('../api');
  const unannounced = () => {
    const ended = new Set(chaos.tap.list('expiration:complete').map((e) => e.data?.orderId as string));
    return winners.map((w) => w.o.body.id as string).filter((id) => !ended.has(id));
  };
  await eventually('expiration:complete for every hold of the race', async () => (unannounced().length === 0 ? true : undefined), 45_000, 250).catch(
    () => undefined,
  );
  figures.expiredEvents = winners.length - unannounced().length;
  const problems: string[] = [];
  if (winners.length !== 5) problems.push(`${winners.length} orders created for 5 tickets`);
  if (unannounced().length) problems.push(`no expiration:complete within 45 s for ${unannounced().join(', ')}: lost in the outage`);
  if (browse.status !== 200) problems.push(`browsing answered ${reason(browse)} while NATS was down`);
  paid.forEach((p, i) => {
    if (p.status === 201 && final[i] !== 'complete') problems.push(`payment 201 but order ${winners[i].o.body.id} ${final[i]}`);
  });
  return problems;
});

experiment('8 a duplicate and an out-of-order delivery of every subject', 150_000, async (scope, figures) => {
  const buyer = await chaos.user('buyer');
  const ticket = await listTicket(chaos, seller, scope, 17);
  // Duplicates: one event of each subject seen so far, sent again with its own id.
  await sleep(2_000);
  const before = await snapshotState(chaos);
  const tapBefore = new Set(chaos.tap.list().map((e) => e.id));
  const subjects = [...new Set(chaos.tap.list().map((e) => e.subject))];
  let resent = 0;
  for (const subject of subjects) {
    const events = chaos.tap.list(subject);
    // The oldest and the newest: an old one is also an out-of-order delivery.
    for (const e of [events[0], events[events.length - 1]]) {
      await chaos.tap.publishRaw(subject, e.raw);
      resent++;
    }
  }
  figures.subjects = subjects.length;
  figures.resent = resent;
  // Out of order, crafted: a later version before an earlier one.
  const fakeTicket = '65f0c0ffee0000000000' + Math.floor(Math.random() * 0xffff).toString(16).padStart(4, '0');
  const mine: string[] = [];
  mine.push(await chaos.tap.publish('ticket:created', { id: fakeTicket, version: 0, title: 'v0', price: 5, userId: seller.id }));
  await sleep(300);
  mine.push(await chaos.tap.publish('ticket:updated', { id: fakeTicket, version: 2, title: 'v2', price: 5, userId: seller.id }));
  mine.push(await chaos.tap.publish('ticket:updated', { id: fakeTicket, version: 1, title: 'v1', price: 5, userId: seller.id }));
  const fakeOrder = '65f0c0ffee0000000001' + Math.floor(Math.random() * 0xffff).toString(16).padStart(4, '0');
  const expiresAt = new Date(Date.now() + HOLD_SECONDS * 1000).toISOString();
  mine.push(await chaos.tap.publish('order:cancelled', { id: fakeOrder, version: 1, ticket: { id: ticket } }));
  mine.push(await chaos.tap.publish('order:created', { id: fakeOrder, version: 0, status: 'created', userId: buyer.id, expiresAt, ticket: { id: ticket, price: 17 } }));
  // Effects: the replicas end at the latest version, the ticket is never held by the
  // cancelled order, and the real state did not move.
  const { eventually } = await import('../api');
  const problems: string[] = [];
  const fake = await eventually('orders applies v2 after v1', async () => {
    const r = await chaos.db('orders').collection('tickets').findOne({ _id: fakeTicket } as never);
    return r?.version === 2 ? r : undefined;
  }, 45_000, 500).catch(async () => chaos.db('orders').collection('tickets').findOne({ _id: fakeTicket } as never));
  figures.fakeTicket = `v${fake?.version}:${fake?.title}`;
  if (fake?.version !== 2 || fake?.title !== 'v2') problems.push(`orders' replica of a ticket sent v2 before v1: v${fake?.version} "${fake?.title}" (want v2 "v2")`);
  const fo = await eventually('payments applies order cancelled after created', async () => {
    const r = await chaos.db('payments').collection('orders').findOne({ _id: fakeOrder } as never);
    return r?.status === 'cancelled' ? r : undefined;
  }, 45_000, 500).catch(async () => chaos.db('payments').collection('orders').findOne({ _id: fakeOrder } as never));
  figures.fakeOrder = `${fo?.status}:v${fo?.version}`;
  if (fo?.status !== 'cancelled' || fo?.version !== 1) problems.push(`payments' replica of an order cancelled before created: ${fo?.status} v${fo?.version}`);
  const t = await ticketDoc(chaos, ticket);
  figures.ticket = `v${t?.version}:${t?.orderId ?? 'free'}`;
  if (t?.orderId === fakeOrder) problems.push('tickets reserved a ticket for an order whose cancellation it had already seen');
  const after = await snapshotState(chaos);
  const diff = diffState(before, after, (k) => k.includes(fakeTicket) || k.includes(fakeOrder) || k.includes(ticket));
  figures.changed = diff.length;
  if (diff.length) problems.push(`duplicates changed state: ${diff.slice(0, 5).join('; ')}`);
  const reactions = chaos.tap.list().filter((e) => !tapBefore.has(e.id) && !mine.includes(e.id) && e.data?.id !== ticket && e.data?.id !== fakeOrder && e.data?.id !== fakeTicket);
  figures.reactions = reactions.length;
  if (reactions.length) problems.push(`duplicates caused ${reactions.length} new event(s): ${reactions.slice(0, 3).map((e) => `${e.subject} ${JSON.stringify(e.data)}`).join('; ')}`);
  // The real ticket is still free to order.
  const o = await placeOrder(buyer, ticket, scope);
  figures.reorder = o.status;
  if (o.status !== 201) problems.push(`the ticket cannot be ordered after the crafted events: ${reason(o)}`);
  void orderDoc;
  return problems;
});

it('9 control: when money is taken without a sale and a service dies by itself, then the checks report both', async () => {
  const t0 = Date.now();
  const scope = new Scope();
  const buyer = await chaos.user('buyer');
  const ticket = await listTicket(chaos, seller, scope, 7.77);
  const order = await placeOrder(buyer, ticket, scope);
  expect(order.status).toBe(201);
  // A charge no payment records, straight through the proxy.
  const { default: Stripe } = await import('stripe');
  const stripe = new Stripe('sk_test_control', { host: '127.0.0.1', port: chaos.proxy.port, protocol: 'http', telemetry: false });
  await stripe.charges.create({ amount: 777, currency: 'usd', source: 'tok_visa', metadata: { orderId: order.body.id } }, { idempotencyKey: `control:${order.body.id}` });
  // A death nobody asked for: the supervisor restarts it and records it.
  const expiration = chaos.handle('expiration');
  process.kill(expiration.pid, 'SIGKILL');
  await expiration.exited;
  await ready(chaos, 'expiration');
  const { problems, figures } = await checkInvariants(chaos, scope);
  lines.push(
    `${problems.some((p) => p.startsWith('money:')) && problems.some((p) => /expiration died unexpectedly/.test(p)) ? 'PASS' : 'FAIL'} 9 control: the checks catch an unrecorded charge and an unexpected death | ${fmt({ ...figures, reported: problems.length, s: Math.round((Date.now() - t0) / 1000) })}`,
  );
  expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^money: Stripe charged 777 − refunded 0/), expect.stringMatching(/^expiration died unexpectedly 1×/)]));
  expect(expiration.running).toBe(true);
  expect(fs.readFileSync(expiration.logFile, 'utf8')).toMatch(/\[stack\] .* expiration exited unexpectedly \(SIGKILL\); restarting/);
}, 120_000);
