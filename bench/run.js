'use strict';
// Load figures for the API through the gateway: starts the stack (API only), seeds users
// and tickets, runs autocannon against a few routes, and prints requests/s, latency
// percentiles and each service's memory. Loopback only; every run is bounded in time.
//
//   node bench/run.js [--seconds 10] [--connections 20]
const autocannon = require('autocannon');
const fs = require('node:fs');
const { randomBytes } = require('node:crypto');
const { startStack } = require('../scripts/stack');

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const SECONDS = arg('seconds', 10);
const CONNECTIONS = arg('connections', 20);

function rssMb(pid) {
  try {
    const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
    return Math.round(Number(line.split(/\s+/)[1]) / 1024);
  } catch {
    return NaN;
  }
}

async function call(url, method, path, body, cookie) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(cookie && { cookie }) },
    body: body && JSON.stringify(body),
  });
  const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('session='));
  return { status: res.status, body: await res.json().catch(() => undefined), cookie: setCookie?.split(';')[0] };
}

function run(opts) {
  return new Promise((resolve, reject) => {
    autocannon({ duration: SECONDS, connections: CONNECTIONS, ...opts }, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

async function main() {
  const stack = await startStack({ apiOnly: true, gatewayPort: 0, env: { LOG_LEVEL: 'warn' }, log: () => undefined });
  const services = stack.handles.filter((h) => ['auth', 'tickets', 'orders', 'payments', 'expiration'].includes(h.name));
  const memory = () => Object.fromEntries(services.map((h) => [h.name, rssMb(h.child.pid)]));
  try {
    console.log(`stack ready in ${stack.seconds.toFixed(1)} s; ${SECONDS} s per scenario, ${CONNECTIONS} connections`);
    const before = memory();
    const email = `bench-${randomBytes(4).toString('hex')}@example.com`;
    const { cookie } = await call(stack.url, 'POST', '/api/users/signup', { email, password: 'bench-password' });
    for (let i = 0; i < 200; i++) await call(stack.url, 'POST', '/api/tickets', { title: `Seed ${i}`, price: 10 + i }, cookie);

    const scenarios = [
      { name: 'GET /api/users/currentuser', url: `${stack.url}/api/users/currentuser`, headers: { cookie } },
      { name: 'GET /api/tickets (100 of 200+)', url: `${stack.url}/api/tickets` },
      { name: 'GET /api/tickets, 1 connection', url: `${stack.url}/api/tickets`, connections: 1 },
      {
        name: 'POST /api/tickets',
        url: `${stack.url}/api/tickets`,
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json' },
        body: JSON.stringify({ title: 'Bench', price: 25 }),
      },
      {
        // Sign-in is rate limited per email and IP (5 attempts in flight per email), so a
        // realistic load is a few at a time; more would measure the limiter's 429s.
        name: 'POST /api/users/signin (scrypt, 4 connections)',
        connections: 4,
        url: `${stack.url}/api/users/signin`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: 'bench-password' }),
      },
    ];
    const rows = [];
    for (const s of scenarios) {
      const { name, ...opts } = s;
      const r = await run(opts);
      rows.push({
        scenario: name,
        'req/s': Math.round(r.requests.average),
        'p50 ms': r.latency.p50,
        'p99 ms': r.latency.p99,
        non2xx: r.non2xx,
        errors: r.errors + r.timeouts,
      });
    }
    console.table(rows);
    const after = memory();
    console.table(Object.keys(before).map((k) => ({ service: k, 'RSS before MB': before[k], 'RSS after MB': after[k] })));
  } finally {
    await stack.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
