#!/usr/bin/env node
// Sign-in throughput of one auth app against its hashing capacity: does the hash queue keep
// the cores busy?
//
//   MONGO_URI=mongodb://127.0.0.1:27017 node auth/bench/signin-throughput.js \
//     [--seconds 10] [--clients 8] [--queue <HASH_QUEUE>] [--concurrency <cores>] [--backoff-ms 50]
//
// Needs `npm run build -w auth`. Starts the built app in this process on a free port, on a
// throwaway database (dropped at the end), at the production scrypt cost, creates one user,
// and runs --clients closed-loop clients (one client IP each, so the rate limits stay out
// of the way) signing in for --seconds; a client answered 503 waits --backoff-ms and tries
// again. Prints one JSON line:
//   signinsPerSecond   successful sign-ins per second
//   capacityPerSecond  cores / CPU seconds per hash (the same measure as hash-capacity.js)
//   ratio              signinsPerSecond / capacityPerSecond (meaningful on an otherwise idle machine)
//   directPerSecond    hashes per second of `concurrency` back-to-back hash loops without HTTP,
//                      measured right after (what the cores can hash under today's other load)
//   ratioToDirect      signinsPerSecond / directPerSecond
//   slotOccupancy      share of the time the `concurrency` slots were hashing (1 = never idle)
//   shed               503 answers
// The clients run in this process and take some CPU from the hashing, so `ratio` is a lower
// bound; `slotOccupancy` is the direct measure of idle cores between requests.
const crypto = require('node:crypto');
const os = require('node:os');
const path = require('node:path');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? Number(process.argv[i + 1]) : fallback;
}

// AUTH_DIST: another build of auth to load (default auth/dist).
const dist = process.env.AUTH_DIST ? path.resolve(process.env.AUTH_DIST) : path.join(__dirname, '../dist');
let auth;
try {
  auth = {
    app: require(`${dist}/app`),
    gate: require(`${dist}/services/hash-gate`),
    password: require(`${dist}/services/password`),
    user: require(`${dist}/models/user`),
  };
} catch (err) {
  console.error(`signin-throughput: cannot load auth/dist (${err.message}); run \`npm run build -w auth\` first`);
  process.exit(1);
}
const mongoose = require('mongoose');
const { createLogger } = require('@ticketing/common');

/** Integrates how many scrypt calls run at once over time (they run on libuv's thread pool). */
function watchScrypt(slots) {
  const real = crypto.scrypt;
  const w = { inFlight: 0, busy: 0, since: performance.now() };
  const tick = () => {
    const now = performance.now();
    w.busy += Math.min(w.inFlight, slots) * (now - w.since);
    w.since = now;
  };
  crypto.scrypt = (...args) => {
    const done = args.pop();
    tick();
    w.inFlight++;
    real(...args, (err, key) => {
      tick();
      w.inFlight--;
      done(err, key);
    });
  };
  w.reset = () => {
    tick();
    w.busy = 0;
  };
  w.occupancy = (ms) => {
    tick();
    return w.busy / (slots * ms);
  };
  return w;
}

async function cpuSecondsPerHash(hasher, hashes = 4) {
  const before = process.cpuUsage();
  for (let i = 0; i < hashes; i++) await hasher.hash(`password-${i}`);
  const cpu = process.cpuUsage(before);
  return (cpu.user + cpu.system) / 1e6 / hashes;
}

/** Sign-in-free hashing rate right now: `slots` hashes back to back in parallel, for `ms`. */
async function directRate(hasher, slots, ms) {
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: slots }, async () => {
      while (performance.now() - started < ms) {
        await hasher.hash('password123');
        done++;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}

async function main() {
  const uri = process.env.MONGO_URI;
  if (!uri) throw new Error('set MONGO_URI');
  const cores = os.availableParallelism();
  const seconds = arg('seconds', 10);
  const concurrency = arg('concurrency', cores);
  const queue = arg('queue', concurrency);
  const clients = arg('clients', 4 * (concurrency + queue));
  const backoffMs = arg('backoff-ms', 50);

  await mongoose.connect(uri, { dbName: `bench_signin_${crypto.randomBytes(4).toString('hex')}` });
  await Promise.all(mongoose.modelNames().map((n) => mongoose.model(n).init()));
  const hasher = new auth.password.PasswordHasher();
  const gate = new auth.gate.HashGate({ concurrency, queue });
  const app = auth.app.buildApp({
    logger: createLogger('auth-bench', 'warn'),
    jwtKey: crypto.randomBytes(32).toString('hex'),
    cookieSecure: false,
    hashGate: gate,
    signinLimits: { maxFailures: 5, maxFailuresPerIp: 1000, windowSeconds: 900 },
  });
  const server = app.listen(0);
  const url = `http://127.0.0.1:${server.address().port}/api/users/signin`;
  try {
    await auth.user.createUser('bench@test.com', await hasher.hash('password123'));
    const perHash = await cpuSecondsPerHash(hasher);
    const scrypt = watchScrypt(concurrency);

    let ok = 0;
    let shed = 0;
    let other = 0;
    const started = performance.now();
    const until = started + seconds * 1000;
    scrypt.reset();
    await Promise.all(
      Array.from({ length: clients }, async (_, i) => {
        while (performance.now() < until) {
          const res = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.9.${i >> 8}.${i & 255}` },
            body: JSON.stringify({ email: 'bench@test.com', password: 'password123' }),
          });
          await res.arrayBuffer();
          if (res.status === 200) ok++;
          else if (res.status === 503) {
            shed++;
            await new Promise((r) => setTimeout(r, backoffMs));
          } else other++;
        }
      }),
    );
    const elapsedMs = performance.now() - started;
    const occupancy = scrypt.occupancy(elapsedMs);
    // The same machine, the same minute: what `concurrency` hashes in a row achieve without HTTP.
    const direct = await directRate(hasher, concurrency, Math.max(2000, (seconds * 1000) / 2));
    const capacity = cores / perHash;
    const round = (n) => Math.round(n * 1000) / 1000;
    console.log(
      JSON.stringify({
        cores,
        concurrency,
        queue,
        clients,
        seconds: round(elapsedMs / 1000),
        signinsPerSecond: round(ok / (elapsedMs / 1000)),
        capacityPerSecond: round(capacity),
        ratio: round(ok / (elapsedMs / 1000) / capacity),
        directPerSecond: round(direct),
        ratioToDirect: round(ok / (elapsedMs / 1000) / direct),
        slotOccupancy: round(occupancy),
        cpuSecondsPerHash: round(perHash),
        ok,
        shed,
        other,
      }),
    );
  } finally {
    server.close();
    await mongoose.connection.db.dropDatabase();
    await mongoose.disconnect();
  }
}

main().catch((err) => {
  console.error(`signin-throughput: ${err.stack}`);
  process.exit(1);
});
