'use strict';
// scripts/servers.sh: the backing servers of the table (servers.js) as daemons on fixed
// loopback ports, for `npm test` and CI. `start [names]` returns once they are ready and
// leaves them running: they are the one kind of child not tied to its launcher (own
// session, so a Ctrl-C in the caller's terminal does not reach them either). `stop` ends
// them by pid. State under .run/: pids/<name>.pid, logs/<name>.log, data/<name>/.
const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT } = require('./build');
const { SERVERS, BIN, fixedPorts, answers, startServer } = require('./servers');
const { isAlive, resolveCommand, tail, tcpOpen, STOP_GRACE_MS } = require('./processes');

const RUN_DIR = path.join(ROOT, '.run');
const PID_DIR = path.join(RUN_DIR, 'pids');
const DATA_DIR = path.join(RUN_DIR, 'data');
const START_TIMEOUT_SECONDS = Number(process.env.SERVERS_START_TIMEOUT || 30);
const NAMES = Object.keys(SERVERS);

const say = (line) => console.log(`servers.sh: ${line}`);

/** A failure to report on stderr (servers.sh: error: …) with exit status 1. */
class Fatal extends Error {}

const pidFile = (name) => path.join(PID_DIR, `${name}.pid`);
const logFile = (name) => path.join(RUN_DIR, 'logs', `${name}.log`);
const envLine = (name, ports) => Object.entries(SERVERS[name].env(ports)).map(([k, v]) => `${k}=${v}`);

/**
 * The pid in `name`'s pid file, if that process is alive and still runs the server's
 * executable (a pid the kernel reused for something else is not ours).
 */
function ourPid(name) {
  let pid;
  try {
    pid = Number(fs.readFileSync(pidFile(name), 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  const binary = resolveCommand(SERVERS[name].command);
  try {
    // " (deleted)": tools/build.sh replaced the binary while it ran. realpath: Debian's
    // redis-server is a symlink to redis-check-rdb.
    const exe = fs.readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '');
    return binary && exe === fs.realpathSync(binary) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** TERM, then KILL after STOP_GRACE_MS; resolves once the process is gone. */
async function stopPid(pid) {
  const gone = async (ms) => {
    for (const deadline = Date.now() + ms; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      if (!isAlive(pid)) return true;
    }
    return !isAlive(pid);
  };
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  if (await gone(STOP_GRACE_MS)) return;
  say(`pid ${pid} did not stop after ${STOP_GRACE_MS / 1000}s; sending KILL`);
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  await gone(2_000);
}

/**
 * servers-cli's `launch` for startServer: the server in its own session, output to its
 * (emptied) log, pid to its pid file, not tied to this process and not keeping it alive.
 */
function launchDaemon({ name, cmd, args, env = {}, logFile: log }) {
  const out = fs.openSync(log, 'w');
  const child = spawn(cmd, args, { detached: true, stdio: ['ignore', out, out], env: { ...process.env, ...env } });
  fs.closeSync(out);
  child.unref();
  const handle = {
    name,
    logFile: log,
    pid: child.pid,
    exitCode: undefined,
    get running() {
      return handle.exitCode === undefined;
    },
  };
  child.once('exit', (code, signal) => (handle.exitCode = code ?? signal));
  child.once('error', (err) => {
    fs.appendFileSync(log, `could not start ${cmd}: ${err.message}\n`);
    handle.exitCode = 'spawn-error';
  });
  if (child.pid) fs.writeFileSync(pidFile(name), `${child.pid}\n`);
  return handle;
}

async function startOne(name) {
  const server = SERVERS[name];
  const ports = fixedPorts(name);
  const pid = ourPid(name);
  if (pid) {
    if (await answers(name, { ports, logFile: logFile(name) })) return say(`${name}: already running (pid ${pid})`);
    say(`${name}: pid ${pid} is not answering; restarting it`);
    await stopPid(pid);
  }
  fs.rmSync(pidFile(name), { force: true });
  const [firstPort] = Object.values(ports);
  if (server.reuse && (await answers(name, { ports }))) {
    return say(`${name}: a ${path.basename(server.command)} not started by this script answers on ${firstPort}; using it`);
  }
  for (const port of Object.values(ports)) {
    if (await tcpOpen(port)) throw new Fatal(`${name}: port ${port} on 127.0.0.1 is already in use by another process`);
  }
  if (!resolveCommand(server.command)) throw new Fatal(`${name}: ${server.command} is not installed${name === 'redis' ? ' (apt-get install redis-server)' : ''}`);
  try {
    const { handle } = await startServer(name, { ports, runDir: RUN_DIR, launch: launchDaemon, timeoutMs: START_TIMEOUT_SECONDS * 1000 });
    say(`${name}: ready (pid ${handle.pid})`);
  } catch (err) {
    const handle = err.handle;
    if (!handle) throw err;
    const why = handle.running ? `did not answer within ${START_TIMEOUT_SECONDS}s` : `exited (${handle.exitCode})`;
    const lines = tail(handle.logFile, 20).replace(/^/gm, '    ');
    if (handle.running) await stopPid(handle.pid);
    fs.rmSync(pidFile(name), { force: true });
    throw new Fatal(`${name} ${why}; last lines of ${handle.logFile}:\n${lines}`);
  }
}

async function start(names) {
  fs.mkdirSync(PID_DIR, { recursive: true });
  fs.mkdirSync(DATA_DIR, { recursive: true });
  // Fast when the binaries are current.
  if (names.some((n) => SERVERS[n].command.startsWith(BIN))) {
    try {
      execFileSync('bash', [path.join(ROOT, 'tools/build.sh')], { stdio: 'inherit' });
    } catch {
      throw new Fatal('tools/build.sh failed');
    }
  }
  for (const name of names) await startOne(name);
  for (const name of names) for (const line of envLine(name, fixedPorts(name))) console.log(line);
}

/** Stops, all at once, the named servers this script started; a reused one is left running. */
async function stop(names) {
  const outcomes = await Promise.all(
    names.map(async (name) => {
      const pid = ourPid(name);
      let outcome;
      if (pid) {
        await stopPid(pid);
        outcome = `stopped (pid ${pid})`;
      } else if (fs.existsSync(pidFile(name))) {
        outcome = 'was not running';
      } else if (SERVERS[name].reuse && (await answers(name, { ports: fixedPorts(name) }))) {
        outcome = 'not started by this script; left running';
      }
      fs.rmSync(pidFile(name), { force: true });
      fs.rmSync(path.join(DATA_DIR, name), { recursive: true, force: true });
      return outcome && `${name}: ${outcome}`;
    }),
  );
  outcomes.filter(Boolean).forEach(say);
  for (const dir of [PID_DIR, DATA_DIR]) {
    try {
      fs.rmdirSync(dir);
    } catch {
      /* not empty, or already gone */
    }
  }
}

async function status(names) {
  for (const name of names) {
    const ports = fixedPorts(name);
    const pid = ourPid(name);
    const where = envLine(name, ports).join(' ');
    if (pid) {
      if (await answers(name, { ports, logFile: logFile(name) })) say(`${name}: running (pid ${pid}) ${where}`);
      else say(`${name}: pid ${pid} NOT answering`);
    } else if (SERVERS[name].reuse && (await answers(name, { ports }))) {
      say(`${name}: running (not started by this script) ${where}`);
    } else {
      say(`${name}: stopped`);
    }
  }
}

async function main([command, ...names]) {
  const usage = `usage: scripts/servers.sh start|stop|status [${NAMES.join('] [')}]`;
  const commands = { start, stop, status };
  if (!commands[command]) throw new Fatal(usage);
  if (names.length === 0) names = NAMES;
  const unknown = names.find((n) => !NAMES.includes(n));
  if (unknown) throw new Fatal(`unknown server '${unknown}' (known: ${NAMES.join(' ')})`);
  await commands[command](names);
}

main(process.argv.slice(2)).catch((err) => {
  console.error(`servers.sh: error: ${err instanceof Fatal ? err.message : err.stack}`);
  process.exit(1);
});
