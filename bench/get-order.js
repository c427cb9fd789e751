'use strict';
// One request kind under load, and what it costs each process: autocannon on
// GET /api/orders/:id (the buyer's poll while waiting for "complete"), CPU ms per request
// per process of the stack. `node bench/get-order.js [--seconds 10] [--connections 20]
// [--orders N]`: the buyer places N orders first (each on a ticket of its own), and
// GET_PATH=/api/orders lists them.
const crypto = require('node:crypto');
const autocannon = require('autocannon');
const lib = require('./lib');

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const SECONDS = arg('seconds', 10);
const CONNECTIONS = arg('connections', 20);
const ORDERS = arg('orders', 1);

async function main() {
  const { startStack } = require('../scripts/stack');
  const jwtKey = crypto.randomBytes(32).toString('hex');
  process.env.JWT_KEY = jwtKey;
  const stack = await startStack({ apiOnly: true, gatewayPort: 0, env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' }, log: () => {} });
  try {
    const mint = lib.sessionMinter(jwtKey);
    const seller = mint('seller');
    const buyer = mint('buyer');
    let order;
    for (let n = 0; n < ORDERS; n++) {
      const listed = await lib.call(stack.url, 'POST', '/api/tickets', { body: { title: 'x', price: 10 }, cookie: seller.cookie });
      for (let i = 0; i < 500; i++) {
        order = await lib.call(stack.url, 'POST', '/api/orders', { body: { ticketId: listed.body.id }, cookie: buyer.cookie });
        if (order.status !== 404) break;
        await lib.sleep(10);
      }
      if (order.status !== 201) throw new Error(`order: ${order.status}`);
    }
    const path = process.env.GET_PATH ?? `/api/orders/${order.body.id}`;
    const before = lib.cpuSnapshot(stack.handles);
    const r = await new Promise((resolve, reject) =>
      autocannon({ url: `${stack.url}${path}`, headers: { cookie: buyer.cookie }, duration: SECONDS, connections: CONNECTIONS }, (e, x) =>
        e ? reject(e) : resolve(x),
      ),
    );
    const after = lib.cpuSnapshot(stack.handles);
    const n = r.requests.total;
    const used = Object.entries(after)
      .map(([k, s]) => [k, ((s - before[k]) * 1000) / n])
      .filter(([, ms]) => ms > 0.005)
      .sort((a, b) => b[1] - a[1]);
    console.log(`GET ${path}: ${r.requests.average} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, non2xx ${r.non2xx}`);
    console.log(`CPU ms per request: ${used.map(([k, ms]) => `${k} ${ms.toFixed(2)}`).join(', ')}`);
  } finally {
    await stack.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
