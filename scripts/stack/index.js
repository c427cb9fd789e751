'use strict';
// The whole system on one machine (DESIGN.md §7): backing servers, the five services,
// the gateway in place of the ingress, and the web app. One MongoDB-protocol server per
// service, as in the cluster (a shared gate would serialise all of them).
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { freePort, startProcess, supervise, waitUntil, StackError, httpOk, tcpOpen, tail } = require('./processes');
const { createGateway } = require('./gateway');
const { buildIfStale, ROOT } = require('./build');
const { writeNatsAuthConfig } = require('./nats-auth');
const images = require('./images');

const BIN = path.join(ROOT, 'tools/bin');
const SERVICES = ['auth', 'tickets', 'orders', 'payments', 'expiration'];
const WITH_DB = ['auth', 'tickets', 'orders', 'payments'];
const SERVICE_NODE_OPTIONS = '--max-semi-space-size=2 --max-old-space-size=96';
const nodeArgs = (process.env.STACK_NODE_ARGS ?? '').split(' ').filter(Boolean);

/**
 * Starts everything and resolves with `{ url, stop }` once every /readyz answers.
 * Options: apiOnly (no client), gatewayPort (0 = any free port), env (passed to every
 * service: ORDER_EXPIRATION_SECONDS, LOG_LEVEL...), runDir, log (progress lines).
 */
async function startStack(opts = {}) {
  const log = opts.log ?? ((line) => console.log(`stack: ${line}`));
  const started = Date.now();
  const runDir = opts.runDir ?? path.join(ROOT, '.run', `stack-${process.pid}`);
  const logDir = path.join(runDir, 'logs');
  fs.rmSync(runDir, { recursive: true, force: true });
  fs.mkdirSync(logDir, { recursive: true });
  fs.mkdirSync(path.join(runDir, 'data'), { recursive: true });
  const env = opts.env ?? {};
  // STACK_IMAGES=1 runs any caller (the integration and e2e tests) against the images.
  opts = { ...opts, images: opts.images ?? process.env.STACK_IMAGES === '1' };
  const handles = [];
  let gateway;

  const stop = async () => {
    if (gateway) await new Promise((r) => gateway.close(() => r()));
    gateway?.closeAllConnections?.();
    // Reverse start order: the client and services first, then the servers they use.
    for (const h of [...handles].reverse()) await h.stop();
  };

  const spawnLogged = (name, cmd, args, extraEnv = {}, cwd = ROOT) => {
    const h = startProcess({
      name,
      cmd,
      args,
      env: extraEnv,
      cwd,
      logFile: path.join(logDir, `${name}.log`),
      onCrash: (_h, code) => log(`${name} exited unexpectedly (${code}); restarting it`),
    });
    handles.push(h);
    return h;
  };

  try {
    // 1. Binaries and compiled JavaScript (skipped when current).
    if (opts.images) {
      // The services and the web app from their images (npm run images), not from dist/.
      images.removeOrphans({ log });
      images.ensureImages({ log, names: opts.apiOnly ? SERVICES : [...SERVICES, 'client'] });
    }
    log('building backing servers (tools/build.sh)');
    execFileSync('bash', [path.join(ROOT, 'tools/build.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
    buildIfStale('common', { log });
    for (const s of SERVICES) buildIfStale(s, { dependsOn: ['common'], log });
    if (!opts.apiOnly) buildIfStale('client', { outDir: '.next', log });

    // 2. Backing servers.
    log('starting backing servers');
    const db = {};
    for (const s of WITH_DB) {
      const port = await freePort();
      db[s] = port;
      spawnLogged(`${s}-db`, path.join(BIN, 'ferretdb'), ['--listen', `127.0.0.1:${port}`, '--data-dir', path.join(runDir, 'data', `${s}-db`)]);
    }
    const natsPort = await freePort();
    const natsMonitor = await freePort();
    // One NATS user per service, each allowed to publish only its own subjects.
    const natsAuth = writeNatsAuthConfig(path.join(runDir, 'nats-auth'));
    const nats = spawnLogged('nats-streaming', path.join(BIN, 'nats-streaming-server'), [
      '-c', natsAuth.file, '-a', '127.0.0.1', '-p', String(natsPort), '-m', String(natsMonitor), '-cid', 'ticketing',
      '-store', 'file', '-dir', path.join(runDir, 'data', 'nats'),
    ]);
    const stripePort = await freePort();
    const stripeHttps = await freePort();
    const stripe = spawnLogged('stripe-mock', path.join(BIN, 'stripe-mock'), ['-http-addr', `127.0.0.1:${stripePort}`, '-https-addr', `127.0.0.1:${stripeHttps}`]);
    const redisPort = await freePort();
    const redis = spawnLogged('redis', 'redis-server', [
      // Append-only file: delayed expiration jobs survive a Redis restart (fsync every second).
      '--bind', '127.0.0.1', '--port', String(redisPort), '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec',
      '--dir', path.join(runDir, 'data'),
    ]);
    for (const s of WITH_DB) {
      const h = handles.find((x) => x.name === `${s}-db`);
      await waitUntil(h, () => tcpOpen(db[s]), { timeoutMs: 30_000, what: 'accepting connections' });
    }
    await waitUntil(nats, () => httpOk(`http://127.0.0.1:${natsMonitor}/streaming/serverz`), { timeoutMs: 30_000, what: 'ready' });
    await waitUntil(stripe, () => tcpOpen(stripePort), { timeoutMs: 30_000, what: 'accepting connections' });
    await waitUntil(redis, () => tcpOpen(redisPort), { timeoutMs: 30_000, what: 'accepting connections' });

    // 3. Services, from compiled JavaScript.
    log('starting services');
    const jwtKey = process.env.JWT_KEY ?? randomBytes(32).toString('hex');
    const ports = {};
    const metricsPorts = {};
    for (const s of SERVICES) {
      ports[s] = await freePort();
      metricsPorts[s] = await freePort();
      const serviceEnv = {
        ...env,
        PORT: String(ports[s]),
        METRICS_PORT: String(metricsPorts[s]),
        JWT_KEY: jwtKey,
        COOKIE_SECURE: 'false',
        ...(db[s] && { MONGO_URI: `mongodb://127.0.0.1:${db[s]}/${s}` }),
        NATS_URL: `nats://127.0.0.1:${natsPort}`,
        NATS_CLUSTER_ID: 'ticketing',
        NATS_CLIENT_ID: `${s}-stack-${randomBytes(3).toString('hex')}`,
        // auth is not on the bus and has no NATS user.
        ...(natsAuth.users[s] && { NATS_USER: natsAuth.users[s].user, NATS_PASSWORD: natsAuth.users[s].password }),
        REDIS_URL: `redis://127.0.0.1:${redisPort}`,
        STRIPE_SECRET_KEY: env.STRIPE_SECRET_KEY ?? 'sk_test_stack',
        STRIPE_API_BASE: env.STRIPE_API_BASE ?? `http://127.0.0.1:${stripePort}`,
        LOG_LEVEL: env.LOG_LEVEL ?? 'info',
        // A small young generation: V8's default (16 MB semi-spaces) inflates each service's
        // resident memory under load for little gain at our request sizes.
        NODE_OPTIONS: env.NODE_OPTIONS ?? SERVICE_NODE_OPTIONS,
      };
      if (opts.images) handles.push(images.startContainer({ name: s, env: serviceEnv, runDir, logFile: path.join(logDir, `${s}.log`) }));
      // STACK_NODE_ARGS: extra node flags for the services (e.g. --cpu-prof to profile a run).
      else spawnLogged(s, process.execPath, [...nodeArgs, path.join(ROOT, s, 'dist/index.js')], serviceEnv);
    }

    // 4. The gateway, then the client (whose server side calls the API through it).
    // The table is read per request: the client joins it once it answers.
    const targets = { ...ports };
    gateway = createGateway(targets, { clientExpected: !opts.apiOnly });
    const gatewayPort = opts.gatewayPort ?? 8080;
    await new Promise((resolve, reject) => {
      gateway.once('error', (err) =>
        reject(new StackError(`gateway: cannot listen on 127.0.0.1:${gatewayPort}: ${err.message} (set GATEWAY_PORT)`)),
      );
      gateway.listen(gatewayPort, '127.0.0.1', resolve);
    });
    const url = `http://127.0.0.1:${gateway.address().port}`;
    let clientPort;
    if (!opts.apiOnly) {
      clientPort = await freePort();
      const clientEnv = { ...env, PORT: String(clientPort), API_INTERNAL_URL: url, NEXT_TELEMETRY_DISABLED: '1' };
      const startArgs = ['start', '-p', String(clientPort), '-H', '127.0.0.1'];
      if (opts.images) {
        handles.push(
          images.startContainer({
            name: 'client',
            env: clientEnv,
            runDir,
            logFile: path.join(logDir, 'client.log'),
            args: ['node', '../node_modules/next/dist/bin/next', ...startArgs],
          }),
        );
      } else {
        const next = require.resolve('next/dist/bin/next', { paths: [path.join(ROOT, 'client')] });
        spawnLogged('client', process.execPath, [next, ...startArgs], clientEnv, path.join(ROOT, 'client'));
      }
    }

    for (const s of SERVICES) {
      const h = handles.find((x) => x.name === s);
      await waitUntil(h, () => httpOk(`http://127.0.0.1:${ports[s]}/readyz`), { timeoutMs: 60_000, what: 'ready' });
      log(`${s} ready (metrics: http://127.0.0.1:${metricsPorts[s]}/metrics)`);
    }
    if (clientPort) {
      const h = handles.find((x) => x.name === 'client');
      await waitUntil(h, () => tcpOpen(clientPort), { timeoutMs: 60_000, what: 'listening' });
      targets.client = clientPort;
      await waitUntil(h, () => httpOk(`${url}/`), { timeoutMs: 60_000, what: 'serving pages' });
      log('client ready');
    }

    // Like a Deployment: once up, a service that dies unasked is started again on the same
    // data (a piece that cannot start at all still fails the start above, with its log).
    if (opts.restartOnCrash !== false && !opts.images) for (const s of SERVICES) supervise(handles.find((x) => x.name === s));

    return {
      url,
      ports: { ...ports, client: clientPort, nats: natsPort, stripe: stripePort, redis: redisPort, db },
      /** Each service's Prometheus /metrics port. */
      metricsPorts,
      /** Each service's NATS credentials (tests publish as a service, or as nobody). */
      natsUsers: natsAuth.users,
      logDir,
      seconds: (Date.now() - started) / 1000,
      stop,
      handles,
    };
  } catch (err) {
    if (err.handle) {
      err.logTail = tail(err.handle.logFile);
      err.message += `\n--- last lines of ${err.handle.logFile}:\n${err.logTail}`;
    }
    await stop();
    throw err;
  }
}

module.exports = { startStack };
