'use strict';
// The backing servers (DESIGN.md §6), described once for every launcher: `npm run stack`,
// the integration, chaos and e2e tests (startStack: free ports, children tied to the
// launcher) and scripts/servers.sh (servers-cli.js: fixed ports, daemons that outlive the
// command). Every server listens on 127.0.0.1 only; each start begins on empty data.
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { ROOT } = require('./build');
const { freePort, httpOk, tcpOpen, waitUntil } = require('./processes');

const BIN = path.join(ROOT, 'tools/bin');
const NATS_CLUSTER_ID = 'ticketing';

/** Any HTTP answer at all (stripe-mock answers 401 to a request without a key). */
async function httpAnswers(url) {
  await fetch(url, { signal: AbortSignal.timeout(2_000) });
  return true;
}

/** Redis answers PING with PONG (not -LOADING while it reads its append-only file). */
function redisPongs(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
    socket.once('error', () => done(false));
    socket.setTimeout(2_000, () => done(false));
  });
}

function logSays(logFile, pattern) {
  try {
    return pattern.test(fs.readFileSync(logFile, 'utf8'));
  } catch {
    return false;
  }
}

/** nats-streaming-server's file store sync flags: fsync every second unless NATS_FILE_SYNC=true. */
function natsSyncArgs(env = process.env) {
  const sync = env.NATS_FILE_SYNC ?? 'false';
  if (sync !== 'true' && sync !== 'false') throw new Error(`NATS_FILE_SYNC must be true or false, not ${JSON.stringify(sync)}`);
  return sync === 'true' ? ['--file_sync=true'] : ['--file_sync=false', '--file_auto_sync=1s'];
}

/**
 * The Go servers' runtime (FerretDB's gate, nats-streaming-server, stripe-mock): one
 * scheduler thread each (GOMAXPROCS=1) unless GOMAXPROCS is set. The gate runs one command
 * at a time anyway, and the others are light; with a thread per core, Go's idle threads
 * spin, steal and wake each other (futex, nanosleep, epoll_wait) for every request, which on
 * this project's VMs costs more than the work: on one gate, `strace -c` counted half the
 * nanosleep and epoll_wait calls with one thread, and the gates' CPU per purchase fell
 * 12–15 % relative to the services' (DESIGN.md §6, bench/README.md stop 21).
 */
function goRuntimeEnv(env = process.env) {
  const procs = env.GOMAXPROCS ?? '1';
  if (!/^[1-9][0-9]*$/.test(procs)) throw new Error(`GOMAXPROCS must be a positive integer, not ${JSON.stringify(procs)}`);
  return { GOMAXPROCS: procs };
}

/**
 * The table. Per server:
 *   command       the executable: a path, or a name looked up on PATH
 *   data          it keeps files: each start gives it an empty directory (`dataDir`)
 *   ports         key → { env, port }: servers.sh takes the port from `env`, else `port`;
 *                 startStack picks free ones
 *   args(s)       its arguments, from { ports, dataDir, natsConfig }
 *   ready(s)      resolves true once clients can use it, from { ports, logFile }
 *   env(ports)    the variables a client reaches it with (servers.sh prints them)
 *   procEnv()     variables of its own process, on top of the launcher's environment
 *   reuse         servers.sh uses one that already answers on its port instead of starting one
 */
const SERVERS = {
  // Our serializing gate with FerretDB embedded (tools/cmd/ferretdb).
  ferretdb: {
    command: path.join(BIN, 'ferretdb'),
    data: true,
    ports: { port: { env: 'FERRETDB_PORT', port: 27017 } },
    args: ({ ports, dataDir }) => [
      '--listen', `127.0.0.1:${ports.port}`, '--data-dir', dataDir, '--log-level', process.env.FERRETDB_LOG_LEVEL ?? 'warn',
    ],
    ready: async ({ ports, logFile }) => logSays(logFile, /^ferretdb ready on /m) && tcpOpen(ports.port),
    env: (ports) => ({ MONGO_URI: `mongodb://127.0.0.1:${ports.port}` }),
    procEnv: goRuntimeEnv,
  },
  // File store; with `natsConfig` (the stack's nats-auth.js) a user per service.
  // Durability like Redis' `appendfsync everysec` below and the FerretDB gates'
  // `synchronous=normal` (DESIGN.md §6): a message is written to the file (the kernel's page
  // cache) before its publish is acknowledged, so a kill -9 of the server loses nothing
  // acknowledged; the files are fsynced every second, not at every flush, so an OS crash can
  // lose the last second. NATS_FILE_SYNC=true restores an fsync per flush.
  nats: {
    command: path.join(BIN, 'nats-streaming-server'),
    data: true,
    ports: {
      port: { env: 'NATS_STREAMING_PORT', port: 4223 }, // 4222 is the machine's plain NATS
      monitor: { env: 'NATS_STREAMING_MONITOR_PORT', port: 8223 },
    },
    args: ({ ports, dataDir, natsConfig }) => [
      ...(natsConfig ? ['-c', natsConfig] : []),
      '-a', '127.0.0.1', '-p', String(ports.port), '-m', String(ports.monitor), '-cid', NATS_CLUSTER_ID,
      '-store', 'file', '-dir', dataDir,
      ...natsSyncArgs(),
    ],
    ready: async ({ ports }) => (await httpOk(`http://127.0.0.1:${ports.monitor}/streaming/serverz`)) && tcpOpen(ports.port),
    env: (ports) => ({ NATS_URL: `nats://127.0.0.1:${ports.port}`, NATS_CLUSTER_ID }),
    procEnv: goRuntimeEnv,
  },
  stripe: {
    command: path.join(BIN, 'stripe-mock'),
    ports: { http: { env: 'STRIPE_MOCK_PORT', port: 12111 }, https: { env: 'STRIPE_MOCK_HTTPS_PORT', port: 12112 } },
    // -http-addr alone still opens HTTPS on every interface: both listeners are pinned.
    args: ({ ports }) => ['-http-addr', `127.0.0.1:${ports.http}`, '-https-addr', `127.0.0.1:${ports.https}`],
    ready: ({ ports }) => httpAnswers(`http://127.0.0.1:${ports.http}/v1/charges`),
    env: (ports) => ({ STRIPE_API_BASE: `http://127.0.0.1:${ports.http}` }),
    procEnv: goRuntimeEnv,
  },
  // The machine's redis-server in the foreground. Append-only file: delayed expiration jobs
  // survive a Redis restart (fsync every second).
  redis: {
    command: 'redis-server',
    data: true,
    ports: { port: { env: 'REDIS_PORT', port: 6379 } },
    args: ({ ports, dataDir }) => [
      '--bind', '127.0.0.1', '--port', String(ports.port), '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec',
      '--dir', dataDir, '--logfile', '',
    ],
    ready: ({ ports }) => redisPongs(ports.port),
    env: (ports) => ({ REDIS_URL: `redis://127.0.0.1:${ports.port}` }),
    reuse: true,
  },
};

/** The ports of `name` as servers.sh uses them: each from its variable, else its default. */
function fixedPorts(name, env = process.env) {
  return Object.fromEntries(Object.entries(SERVERS[name].ports).map(([key, p]) => [key, Number(env[p.env] || p.port)]));
}

/** Free ports for `name` (freePort: below the ephemeral range, never handed out twice). */
async function freePorts(name) {
  const ports = {};
  for (const key of Object.keys(SERVERS[name].ports)) ports[key] = await freePort();
  return ports;
}

/** Whether server `name` answers on `ports` as its readiness check wants (false on any error). */
function answers(name, { ports, logFile }) {
  return SERVERS[name].ready({ ports, logFile }).catch(() => false);
}

/**
 * Starts server `name` of the table as `instance` (the name of its handle, of its log
 * `<runDir>/logs/<instance>.log` and of its data directory `<runDir>/data/<instance>/`,
 * made empty) and resolves with `{ name, instance, handle, ports, env }` once it is ready.
 * `launch({ name, cmd, args, env, logFile })` starts the process synchronously (`env` on top
 * of the launcher's environment) and returns a
 * handle with `running` and `exitCode` (processes.js startProcess, or servers.sh's daemons).
 * A server that exits first, or is not ready within `timeoutMs`, rejects with a StackError
 * that carries its handle.
 */
async function startServer(name, { instance = name, ports, runDir, launch, natsConfig, timeoutMs = 30_000 }) {
  const server = SERVERS[name];
  const dataDir = path.join(runDir, 'data', instance);
  const logFile = path.join(runDir, 'logs', `${instance}.log`);
  fs.rmSync(dataDir, { recursive: true, force: true });
  if (server.data) fs.mkdirSync(dataDir, { recursive: true });
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const handle = launch({
    name: instance,
    cmd: server.command,
    args: server.args({ ports, dataDir, natsConfig }),
    env: server.procEnv?.() ?? {},
    logFile,
  });
  await waitUntil(handle, () => answers(name, { ports, logFile }), { timeoutMs, what: 'ready' });
  return { name, instance, handle, ports, env: server.env(ports) };
}

module.exports = { natsSyncArgs, goRuntimeEnv, SERVERS, BIN, NATS_CLUSTER_ID, fixedPorts, freePorts, answers, startServer };
