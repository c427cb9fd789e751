'use strict';
// Helpers of the bench: HTTP calls through the gateway, sessions, percentiles, the
// FerretDB gates' command counts (GET /stats) and process memory.
const fs = require('node:fs');
const http = require('node:http');
const { randomBytes } = require('node:crypto');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const newId = () => randomBytes(12).toString('hex');

/**
 * The bench's own HTTP client: node:http with one keep-alive pool, not `fetch`. The bench runs
 * on the cores it measures, so what its client spends is taken from the stack; undici's
 * fetch cost several times the CPU per request of a plain request (web streams, an
 * AbortSignal timer per call). Sockets are reused; a request sent on one the server was
 * closing is sent once more (`call`).
 */
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

/** Response headers with fetch's `get(name)`, which is all the bench reads of them. */
class ResponseHeaders {
  constructor(raw) {
    this.raw = raw;
  }
  get(name) {
    const v = this.raw[name.toLowerCase()];
    return v === undefined ? null : Array.isArray(v) ? v.join(', ') : String(v);
  }
}

function request(base, method, path, { body, cookie, timeoutMs }) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = { 'content-type': 'application/json' };
    if (cookie) headers.cookie = cookie;
    if (payload !== undefined) headers['content-length'] = Buffer.byteLength(payload);
    const req = http.request(`${base}${path}`, { method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', fail);
      res.on('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = text;
        }
        const setCookie = [].concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('session='));
        resolve({ status: res.statusCode, body: json, headers: new ResponseHeaders(res.headers), cookie: setCookie?.split(';')[0] });
      });
    });
    // The whole call, as fetch's AbortSignal.timeout bounded it.
    const timer = setTimeout(() => req.destroy(Object.assign(new Error('timeout'), { name: 'TimeoutError' })), timeoutMs);
    function fail(err) {
      clearTimeout(timer);
      err.reusedSocket = req.reusedSocket;
      reject(err);
    }
    req.on('error', fail);
    req.end(payload);
  });
}

/** One HTTP call; never throws: a network error or timeout is status 0 with `error`. */
async function call(base, method, path, { body, cookie, timeoutMs = 10_000 } = {}) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await request(base, method, path, { body, cookie, timeoutMs });
    } catch (err) {
      // A kept-alive socket the server closed as we sent on it: the request never reached
      // it (Node's documented race), so it goes once more on a new socket.
      if (attempt === 0 && err.reusedSocket && err.code === 'ECONNRESET') continue;
      return { status: 0, error: err.name === 'TimeoutError' ? 'timeout' : err.message };
    }
  }
}

/** Percentile q (0..1) of numbers, nearest rank; undefined for none. */
function percentile(values, q) {
  if (values.length === 0) return undefined;
  const a = [...values].sort((x, y) => x - y);
  return a[Math.min(a.length - 1, Math.max(0, Math.ceil(q * a.length) - 1))];
}

/**
 * Session cookies minted with the stack's JWT_KEY, exactly as auth signs them, so that the
 * purchase, propagation and contention scenarios spend no scrypt on setting up users (the
 * auth scenario measures sign-up and sign-in on their own).
 */
function sessionMinter(jwtKey) {
  const { signSessionToken, sessionCookieValue } = require('../common/dist');
  return (who) => {
    const user = { id: newId(), email: `${who}-${randomBytes(4).toString('hex')}@bench.example.com` };
    return { ...user, cookie: sessionCookieValue(signSessionToken(user, jwtKey)) };
  };
}

/** Resident memory of a pid in MB (VmRSS, what `ps -o rss` shows), NaN when gone. */
function rssMb(pid) {
  try {
    const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
    return Math.round(Number(line.split(/\s+/)[1]) / 1024);
  } catch {
    return NaN;
  }
}

/**
 * The command-count URL of each service's FerretDB gate, from the line the gate prints when
 * started with --stats-listen / FERRETDB_STATS_LISTEN ("ferretdb stats on http://…/stats").
 */
function gateStatsUrls(stack, services = ['auth', 'tickets', 'orders', 'payments']) {
  const urls = {};
  for (const s of services) {
    const h = stack.handles.find((x) => x.name === `${s}-db`);
    if (!h) continue;
    const m = /ferretdb stats on (http:\/\/\S+)/.exec(fs.readFileSync(h.logFile, 'utf8'));
    if (m) urls[s] = m[1];
  }
  return urls;
}

/** {service: {requests, heldMs, databases: {db: {command: n}}}} from every gate. */
async function readGateStats(urls) {
  const out = {};
  for (const [s, url] of Object.entries(urls)) {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    out[s] = await res.json();
  }
  return out;
}

/** Commands per service between two readGateStats snapshots: {service: {total, byCommand, byCollection, heldByCollection, heldMs}}. */
function statsDelta(before, after) {
  const out = {};
  for (const s of Object.keys(after)) {
    const byCommand = {};
    for (const [db, cmds] of Object.entries(after[s].databases ?? {})) {
      for (const [cmd, n] of Object.entries(cmds)) {
        const d = n - (before[s]?.databases?.[db]?.[cmd] ?? 0);
        if (d > 0) byCommand[cmd] = (byCommand[cmd] ?? 0) + d;
      }
    }
    // The same per collection: "orders find", "tickets insert" (database names left out).
    const byCollection = {};
    for (const [key, cmds] of Object.entries(after[s].collections ?? {})) {
      for (const [cmd, n] of Object.entries(cmds)) {
        const d = n - (before[s]?.collections?.[key]?.[cmd] ?? 0);
        if (d > 0) byCollection[`${key.slice(key.indexOf('.') + 1)} ${cmd}`] = d;
      }
    }
    const heldByCollection = {};
    for (const [key, cmds] of Object.entries(after[s].collectionsHeldMs ?? {})) {
      for (const [cmd, ms] of Object.entries(cmds)) {
        const d = ms - (before[s]?.collectionsHeldMs?.[key]?.[cmd] ?? 0);
        if (d > 0) heldByCollection[`${key.slice(key.indexOf('.') + 1)} ${cmd}`] = d;
      }
    }
    const total = Object.values(byCommand).reduce((a, b) => a + b, 0);
    out[s] = { total, byCommand, byCollection, heldByCollection, heldMs: after[s].heldMs - (before[s]?.heldMs ?? 0) };
  }
  return out;
}

/**
 * CPU seconds (user + system) a pid and all its descendants have used so far, from
 * /proc/<pid>/stat of each live process (a gate's FerretDB child counts with its gate).
 * NaN when the pid is gone.
 */
function cpuSeconds(pid) {
  const tick = 100; // USER_HZ: 100 on Linux, whatever the kernel's HZ
  const children = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(f[1]);
      const used = (Number(f[11]) + Number(f[12])) / tick;
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push({ pid: Number(name), used });
      if (Number(name) === pid) children.set(`self`, used);
    } catch {
      // gone meanwhile
    }
  }
  if (!children.has('self')) return NaN;
  let total = children.get('self');
  const walk = (p) => {
    for (const c of children.get(p) ?? []) {
      total += c.used;
      walk(c.pid);
    }
  };
  walk(pid);
  return total;
}

/**
 * Per listener (`subject → queue group`), the sums and counts of event_lag_seconds (from the
 * event's creation, in the write that stored it, to its handler's end) and
 * event_handler_duration_seconds, read off each service's /metrics.
 */
async function readEventTimings(metricsPorts) {
  const out = {};
  for (const port of Object.values(metricsPorts ?? {})) {
    const text = await metricsText(port);
    if (text === undefined) continue;
    const re = /^(event_lag_seconds|event_handler_duration_seconds)_(sum|count)\{([^}]*)\} (\S+)$/gm;
    for (const m of text.matchAll(re)) {
      const labels = Object.fromEntries([...m[3].matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
      const key = `${labels.subject} → ${labels.queue_group}`;
      const kind = m[1] === 'event_lag_seconds' ? 'lag' : 'handler';
      out[key] = out[key] ?? {};
      out[key][`${kind}${m[2] === 'sum' ? 'Sum' : 'Count'}`] = Number(m[4]);
    }
  }
  return out;
}

/** Mean ms of lag and handler per listener between two readEventTimings snapshots. */
function eventTimingsDelta(before, after) {
  const out = {};
  for (const [key, a] of Object.entries(after)) {
    const b = before[key] ?? {};
    const n = (a.lagCount ?? 0) - (b.lagCount ?? 0);
    if (n <= 0) continue;
    const h = (a.handlerCount ?? 0) - (b.handlerCount ?? 0);
    out[key] = {
      events: n,
      lagMs: (((a.lagSum ?? 0) - (b.lagSum ?? 0)) * 1000) / n,
      handlerMs: h > 0 ? (((a.handlerSum ?? 0) - (b.handlerSum ?? 0)) * 1000) / h : NaN,
    };
  }
  return out;
}

/** The V8 heap of a service in MB, read off its /metrics (prom-client's default metrics); undefined when unreadable. */
async function heapMb(metricsPort) {
  const text = metricsPort && (await metricsText(metricsPort));
  if (!text) return undefined;
  const value = (name) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1]);
  const mb = (n) => Math.round(n / 2 ** 20);
  const used = value('nodejs_heap_size_used_bytes');
  if (!Number.isFinite(used)) return undefined;
  return { used: mb(used), total: mb(value('nodejs_heap_size_total_bytes')), external: mb(value('nodejs_external_memory_bytes')) };
}

/** A service's /metrics text (Prometheus exposition), undefined when it does not answer. */
async function metricsText(port) {
  try {
    return await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds used so far by each process of a stack (`handles`: name and child pid) and by
 * this process (`self`: the load generator, and the gateway when the stack runs in-process).
 */
function cpuSnapshot(handles, self = 'bench + gateway') {
  const u = process.cpuUsage();
  const out = { [self]: (u.user + u.system) / 1e6 };
  for (const h of handles) out[h.name] = cpuSeconds(h.child.pid);
  return out;
}

module.exports = { heapMb, sleep, newId, call, percentile, sessionMinter, rssMb, cpuSeconds, cpuSnapshot, readEventTimings, eventTimingsDelta, gateStatsUrls, readGateStats, statsDelta };
