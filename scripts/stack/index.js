'use strict';
// The whole system on one machine (DESIGN.md §7): backing servers (the table in
// servers.js), the five services, the gateway in place of the ingress, and the web app.
// One MongoDB-protocol server per service, as in the cluster (a shared gate would
// serialise all of them). Every child is tied to this process (processes.js spawnTied):
// when it ends, even by SIGKILL, they end too.
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { freePort, startProcess, stopAll, supervise, waitUntil, StackError, httpOk, tcpOpen, tail, STOP_GRACE_MS } = require('./processes');
const { freePorts, startServer } = require('./servers');
const { createGateway } = require('./gateway');
const { buildIfStale, ROOT } = require('./build');
const { writeNatsAuthConfig } = require('./nats-auth');
const images = require('./images');

const SERVICES = ['auth', 'tickets', 'orders', 'payments', 'expiration'];
const WITH_DB = ['auth', 'tickets', 'orders', 'payments'];
// The services' V8 settings (see serviceEnv); STACK_SERVICE_NODE_OPTIONS replaces them for an
// experiment (the stack gives services its own env, not the caller's NODE_OPTIONS).
const SERVICE_NODE_OPTIONS =
  process.env.STACK_SERVICE_NODE_OPTIONS ?? '--max-semi-space-size=1 --max-old-space-size=96 --v8-pool-size=1';
/** auth's malloc: huge pages for scrypt's block (infra/k8s/base/auth.yaml sets the same). */
const AUTH_GLIBC_TUNABLES = 'glibc.malloc.hugetlb=1';
const nodeArgs = (process.env.STACK_NODE_ARGS ?? '').split(' ').filter(Boolean);

/** Settings for the services that `npm run stack` and the e2e runner take from their environment. */
const PASS_THROUGH = [
  'ORDER_EXPIRATION_SECONDS', 'LOG_LEVEL', 'STRIPE_SECRET_KEY', 'STRIPE_API_BASE', 'STRIPE_PUBLISHABLE_KEY',
  'SIGNIN_MAX_FAILURES', 'SIGNIN_WINDOW_SECONDS', 'SESSION_TTL_SECONDS', 'SIGNUP_MAX_PER_IP', 'SIGNUP_WINDOW_SECONDS',
  'HOLD_SWEEP_INTERVAL_SECONDS', 'OTEL_EXPORTER_OTLP_ENDPOINT',
];
const passThroughEnv = (from = process.env) => Object.fromEntries(PASS_THROUGH.filter((k) => from[k]).map((k) => [k, from[k]]));

/**
 * Starts everything and resolves with the running stack once every /readyz answers.
 * Options: apiOnly (no client), gatewayPort (0 = any free port), env (passed to every
 * service: ORDER_EXPIRATION_SECONDS, LOG_LEVEL...), runDir, log (progress lines),
 * images, restartOnCrash, stopGraceMs (index.d.ts). A start that fails stops what it
 * started and rejects, naming the piece with the tail of its log.
 */
async function startStack(opts = {}) {
  const run = newRun(opts);
  try {
    buildWhatIsStale(run);
    await startBackingServers(run);
    await startServices(run);
    await openGateway(run);
    await startClient(run);
    await waitUntilServing(run);
    // Like a Deployment: once up, a service that dies unasked is started again on the same
    // data (a piece that cannot start at all still fails the start above, with its log).
    if (opts.restartOnCrash !== false && !run.images) for (const s of SERVICES) supervise(run.handle(s));
    return runningStack(run);
  } catch (err) {
    if (err.handle) {
      err.logTail = tail(err.handle.logFile);
      err.message += `\n--- last lines of ${err.handle.logFile}:\n${err.logTail}`;
    }
    await run.stop();
    throw err;
  }
}

/**
 * One start: its directories (emptied), options, and its children in two groups —
 * `servers` and `services` (the client too) — which is the order they stop in, reversed.
 */
function newRun(opts) {
  const runDir = opts.runDir ?? path.join(ROOT, '.run', `stack-${process.pid}`);
  const logDir = path.join(runDir, 'logs');
  fs.rmSync(runDir, { recursive: true, force: true });
  fs.mkdirSync(logDir, { recursive: true });
  const log = opts.log ?? ((line) => console.log(`stack: ${line}`));
  const run = {
    opts,
    log,
    started: Date.now(),
    runDir,
    logDir,
    env: opts.env ?? {},
    // STACK_IMAGES=1 runs any caller (the integration and e2e tests) against the images.
    images: opts.images ?? process.env.STACK_IMAGES === '1',
    servers: [],
    services: [],
    /** Backing servers by instance: { handle, ports, env } (servers.js). */
    backing: {},
    ports: {},
    metricsPorts: {},
    gateway: undefined,
    /** The gateway's routing table, read per request: the client joins once it answers. */
    targets: {},
    handle: (name) => [...run.servers, ...run.services].find((h) => h.name === name),
    /** A child tied to this process, with its log under logDir. */
    launch: ({ name, cmd, args, env = {}, cwd = ROOT }) =>
      startProcess({
        name,
        cmd,
        args,
        env,
        cwd,
        logFile: path.join(logDir, `${name}.log`),
        onCrash: (_h, code) => log(`${name} exited unexpectedly (${code}); restarting it`),
      }),
  };
  let stopping;
  run.stop = () => (stopping ??= stopRun(run, opts.stopGraceMs ?? STOP_GRACE_MS));
  return run;
}

/** Step 1: the Go-built servers, the compiled JavaScript, the images (each skipped when current). */
function buildWhatIsStale(run) {
  if (run.images) {
    // The services and the web app from their images (npm run images), not from dist/.
    images.removeOrphans({ log: run.log });
    images.ensureImages({ log: run.log, names: run.opts.apiOnly ? SERVICES : [...SERVICES, 'client'] });
  }
  run.log('building backing servers (tools/build.sh)');
  execFileSync('bash', [path.join(ROOT, 'tools/build.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
  buildIfStale('common', { log: run.log });
  for (const s of SERVICES) buildIfStale(s, { dependsOn: ['common'], log: run.log });
  if (!run.opts.apiOnly) buildIfStale('client', { outDir: '.next', log: run.log });
}

/**
 * Step 2: the backing servers, all at once, each on free ports: a FerretDB per service
 * with a database, NATS Streaming with a user per service (nats-auth.js), stripe-mock, Redis.
 */
async function startBackingServers(run) {
  run.log('starting backing servers');
  const natsAuth = writeNatsAuthConfig(path.join(run.runDir, 'nats-auth'));
  run.natsUsers = natsAuth.users;
  const wanted = [...WITH_DB.map((s) => ['ferretdb', `${s}-db`]), ['nats', 'nats-streaming'], ['stripe', 'stripe-mock'], ['redis', 'redis']];
  // Every port first: each start below launches its process before its first await, so
  // a failure of one leaves no other still to be launched after the stop.
  const plan = [];
  for (const [name, instance] of wanted) plan.push({ name, instance, ports: await freePorts(name) });
  const launch = (spec) => {
    const h = run.launch(spec);
    run.servers.push(h);
    return h;
  };
  const started = await Promise.all(
    plan.map(({ name, instance, ports }) => startServer(name, { instance, ports, runDir: run.runDir, launch, natsConfig: natsAuth.file })),
  );
  for (const s of started) run.backing[s.instance] = s;
}

/** The environment of `service`: its ports, its database, the other servers, its NATS user. */
function serviceEnv(run, service, jwtKey) {
  const { env, backing } = run;
  const db = backing[`${service}-db`];
  const natsUser = run.natsUsers[service]; // auth is not on the bus and has no NATS user
  return {
    ...env,
    PORT: String(run.ports[service]),
    METRICS_PORT: String(run.metricsPorts[service]),
    JWT_KEY: jwtKey,
    COOKIE_SECURE: 'false',
    ...(db && { MONGO_URI: `${db.env.MONGO_URI}/${service}` }),
    ...backing['nats-streaming'].env,
    NATS_CLIENT_ID: `${service}-stack-${randomBytes(3).toString('hex')}`,
    ...(natsUser && { NATS_USER: natsUser.user, NATS_PASSWORD: natsUser.password }),
    ...backing.redis.env,
    STRIPE_SECRET_KEY: env.STRIPE_SECRET_KEY ?? 'sk_test_stack',
    STRIPE_API_BASE: env.STRIPE_API_BASE ?? backing['stripe-mock'].env.STRIPE_API_BASE,
    LOG_LEVEL: env.LOG_LEVEL ?? 'info',
    // A small young generation (1 MB semi-spaces; 2 MB left orders and payments at 101–103 MB
    // after the bench, stop 19): V8's default (16 MB) inflates each service's
    // resident memory under load for little gain at our request sizes. One V8 worker thread
    // instead of four: on a machine whose cores a dozen processes share they add no speed,
    // and each keeps memory of its own (−4 to −6 MB per service after the bench, stop 19).
    NODE_OPTIONS: env.NODE_OPTIONS ?? SERVICE_NODE_OPTIONS,
    // auth's scrypt allocates a 32 MiB block per hash; in transparent huge pages it costs
    // about a third less CPU (no 8,192 page faults and TLB misses per hash; bench/README.md,
    // stop 26). glibc reads the tunable at process start, so it is set here, not in code.
    ...(service === 'auth' && { GLIBC_TUNABLES: env.GLIBC_TUNABLES ?? AUTH_GLIBC_TUNABLES }),
  };
}

/** Step 3: the services, from compiled JavaScript (or their images), each on free ports. */
async function startServices(run) {
  run.log('starting services');
  const jwtKey = process.env.JWT_KEY ?? randomBytes(32).toString('hex');
  for (const s of SERVICES) {
    run.ports[s] = await freePort();
    run.metricsPorts[s] = await freePort();
    const env = serviceEnv(run, s, jwtKey);
    const logFile = path.join(run.logDir, `${s}.log`);
    if (run.images) run.services.push(images.startContainer({ name: s, env, runDir: run.runDir, logFile }));
    // STACK_NODE_ARGS: extra node flags for the services (e.g. --cpu-prof to profile a run).
    else run.services.push(run.launch({ name: s, cmd: process.execPath, args: [...nodeArgs, path.join(ROOT, s, 'dist/index.js')], env }));
  }
}

/** Step 4: the gateway on 127.0.0.1 (the client's server side calls the API through it). */
async function openGateway(run) {
  Object.assign(run.targets, run.ports);
  run.gateway = createGateway(run.targets, { clientExpected: !run.opts.apiOnly });
  const port = run.opts.gatewayPort ?? 8080;
  await new Promise((resolve, reject) => {
    run.gateway.once('error', (err) => reject(new StackError(`gateway: cannot listen on 127.0.0.1:${port}: ${err.message} (set GATEWAY_PORT)`)));
    run.gateway.listen(port, '127.0.0.1', resolve);
  });
  run.url = `http://127.0.0.1:${run.gateway.address().port}`;
}

/** Step 5: the web app (`next start`, or its image), unless apiOnly. */
async function startClient(run) {
  if (run.opts.apiOnly) return;
  run.clientPort = await freePort();
  const env = { ...run.env, PORT: String(run.clientPort), API_INTERNAL_URL: run.url, NEXT_TELEMETRY_DISABLED: '1' };
  // Idle connections kept longer than the gateway keeps them (see gateway.js), as the services do.
  const startArgs = ['start', '-p', String(run.clientPort), '-H', '127.0.0.1', '--keepAliveTimeout', '65000'];
  if (run.images) {
    const args = ['node', '../node_modules/next/dist/bin/next', ...startArgs];
    run.services.push(images.startContainer({ name: 'client', env, runDir: run.runDir, logFile: path.join(run.logDir, 'client.log'), args }));
  } else {
    const next = require.resolve('next/dist/bin/next', { paths: [path.join(ROOT, 'client')] });
    run.services.push(run.launch({ name: 'client', cmd: process.execPath, args: [next, ...startArgs], env, cwd: path.join(ROOT, 'client') }));
  }
}

/** Step 6: every service's /readyz answers, then the client serves pages through the gateway. */
async function waitUntilServing(run) {
  for (const s of SERVICES) {
    await waitUntil(run.handle(s), () => httpOk(`http://127.0.0.1:${run.ports[s]}/readyz`), { timeoutMs: 60_000, what: 'ready' });
    run.log(`${s} ready (metrics: http://127.0.0.1:${run.metricsPorts[s]}/metrics)`);
  }
  if (!run.clientPort) return;
  const client = run.handle('client');
  await waitUntil(client, () => tcpOpen(run.clientPort), { timeoutMs: 60_000, what: 'listening' });
  run.targets.client = run.clientPort;
  await waitUntil(client, () => httpOk(`${run.url}/`), { timeoutMs: 60_000, what: 'serving pages' });
  run.log('client ready');
}

/** What startStack resolves with (RunningStack in index.d.ts). */
function runningStack(run) {
  const { backing } = run;
  return {
    url: run.url,
    ports: {
      ...run.ports,
      client: run.clientPort,
      nats: backing['nats-streaming'].ports.port,
      stripe: backing['stripe-mock'].ports.http,
      redis: backing.redis.ports.port,
      db: Object.fromEntries(WITH_DB.map((s) => [s, backing[`${s}-db`].ports.port])),
    },
    /** Each service's Prometheus /metrics port. */
    metricsPorts: run.metricsPorts,
    /** Each service's NATS credentials (tests publish as a service, or as nobody). */
    natsUsers: run.natsUsers,
    logDir: run.logDir,
    seconds: (Date.now() - run.started) / 1000,
    stop: run.stop,
    handles: [...run.servers, ...run.services],
  };
}

/**
 * Stops a stack, bounded: the gateway (its open connections cut, so requests in flight do
 * not hold the stop), then the services and the client at once, then the backing servers
 * at once; each process gets SIGTERM and, after `graceMs`, SIGKILL. So a stop takes about
 * two graces at most, however many processes hang.
 */
async function stopRun(run, graceMs) {
  if (run.gateway) {
    const closed = new Promise((resolve) => run.gateway.close(() => resolve()));
    run.gateway.closeAllConnections();
    await closed;
  }
  await stopAll(run.services, graceMs);
  await stopAll(run.servers, graceMs);
}

module.exports = { startStack, passThroughEnv, AUTH_GLIBC_TUNABLES };
