'use strict';
// Child processes of the stack: each with its own log file, stopped by signal with a
// deadline, watched so an early exit is reported with the tail of its log, and tied to
// this process so that none outlives it.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');

/** SIGTERM, then SIGKILL after this long: every stop of the stack is bounded by it. */
const STOP_GRACE_MS = 5_000;

/** The executable `command` names (a path, or a name looked up on PATH), or undefined. */
function resolveCommand(command) {
  const candidates = command.includes('/') ? [command] : (process.env.PATH ?? '').split(':').filter(Boolean).map((d) => path.join(d, command));
  return candidates.find((file) => {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return fs.statSync(file).isFile();
    } catch {
      return false;
    }
  });
}

const SETPRIV = resolveCommand('setpriv');

/**
 * `spawn`, with the child tied to this process: util-linux `setpriv --pdeathsig KILL`
 * sets the child's parent-death signal and then execs the command (same pid, same process
 * group), so the kernel kills the child when its parent thread ends — for node's `spawn`,
 * which forks from the main thread, when this process ends, however it ends (SIGKILL,
 * a crash, process.exit). Checked by integration/…/stack.test.ts. It does not reach the
 * child's own children; ours have none (the images' podman client leaves its container,
 * which images.removeOrphans removes). Without setpriv: a plain spawn.
 */
function spawnTied(cmd, args, options) {
  if (!SETPRIV) return spawn(cmd, args, options);
  return spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', cmd, ...args], options);
}

/**
 * The process exists and is not a zombie (an exited process whose parent has not reaped
 * it yet still answers `kill(pid, 0)`).
 */
function isAlive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/**
 * A free loopback port for a server the stack starts.
 *
 * Picked at random below the kernel's ephemeral range (ip_local_port_range) and checked by
 * binding it. A port from `listen(0)` comes from the ephemeral range, which outgoing
 * connections also draw from: between our check and the server's own bind, any client on
 * the machine could take it ("address already in use", seen in CI). Below that range only
 * another listener can, and ports handed out by this process are never handed out twice.
 */
const handedOut = new Set();
// Fixed ports of servers this project or the machine runs (FerretDB, NATS, stripe-mock,
// Redis, PostgreSQL, MariaDB, RabbitMQ, Mosquitto): never handed out even while free.
const reserved = new Set([1883, 3306, 4222, 4223, 5432, 5672, 6379, 8222, 12111, 12112, 15672, 27017, 27018, 27019, 27020]);
function ephemeralLow() {
  try {
    const [low] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return Number.isInteger(low) ? low : 32768;
  } catch {
    return 32768;
  }
}
function canBind(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}
async function freePort() {
  const high = ephemeralLow() - 1;
  const low = Math.max(10_000, high - 20_000);
  if (high - low >= 1000) {
    for (let i = 0; i < 200; i++) {
      const port = low + Math.floor(Math.random() * (high - low + 1));
      if (handedOut.has(port) || reserved.has(port)) continue;
      if (await canBind(port)) {
        handedOut.add(port);
        return port;
      }
    }
  }
  // A machine with no room below its ephemeral range: ask the kernel.
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function tail(file, lines = 30) {
  try {
    const text = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    return text.slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Starts `cmd args` with output appended to `logFile`, tied to this process (spawnTied).
 * The returned handle knows whether the process is still running and can stop it (TERM,
 * then KILL after `graceMs`).
 *
 * For fault injection (chaos/) it can also signal the process (`kill`, `pause`/`resume`
 * with SIGSTOP/SIGCONT) and `restart` it with the same command, arguments, environment
 * and working directory — so on the same data directory. With `restartOnCrash` (or
 * `supervise(handle)` later) a process that exits when nobody asked it to is started again
 * after `restartDelayMs`, as Kubernetes restarts a crashed container, with a log line;
 * `handle.crashes` lists those exits. An exit caused through `stop` or `kill` is expected.
 */
function startProcess({ name, cmd, args = [], env = {}, cwd, logFile, restartOnCrash = false, restartDelayMs = 1_000, onCrash }) {
  const note = (line) => {
    try {
      fs.appendFileSync(logFile, `\n[stack] ${new Date().toISOString()} ${line}\n`);
    } catch {
      /* log dir removed */
    }
  };
  let child;
  let exited;
  let expectExit = false;
  let stopping = false;
  let restartTimer;
  const spawnChild = () => {
    const out = fs.openSync(logFile, 'a');
    const c = spawnTied(cmd, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', out, out],
      // Own process group: a Ctrl-C in the terminal reaches only the orchestrator, which
      // then stops the children in order (services before the servers they use).
      detached: true,
    });
    fs.closeSync(out);
    child = c;
    handle.exitCode = undefined;
    handle.paused = false;
    expectExit = false;
    exited = new Promise((resolve) => {
      let done = false;
      const finish = (code) => {
        if (done) return;
        done = true;
        if (child !== c) return resolve(code); // an older incarnation
        handle.exitCode = code;
        resolve(code);
        if (!expectExit && !stopping) {
          handle.crashes.push({ at: new Date(), code });
          onCrash?.(handle, code);
          if (handle.restartOnCrash) {
            // Back off like Kubernetes' CrashLoopBackOff: doubling per crash in the last minute, ≤ 30 s.
            const recent = handle.crashes.filter((c) => Date.now() - c.at.getTime() < 60_000).length;
            const delay = Math.min(restartDelayMs * 2 ** (recent - 1), 30_000);
            note(`${name} exited unexpectedly (${code}); restarting in ${delay} ms`);
            restartTimer = setTimeout(() => {
              restartTimer = undefined;
              if (!stopping && !handle.running) spawnChild();
            }, delay);
          }
        }
      };
      c.once('exit', (code, signal) => finish(code ?? signal));
      c.once('error', (err) => {
        fs.appendFileSync(logFile, `\n[stack] could not start ${cmd}: ${err.message}\n`);
        finish('spawn-error');
      });
    });
  };
  const signalGroup = (signal) => {
    try {
      process.kill(-child.pid, signal);
      return true;
    } catch {
      return false; // already gone
    }
  };
  const handle = {
    name,
    logFile,
    cmd,
    args,
    env,
    cwd,
    exitCode: undefined,
    /** True between `pause()` and `resume()`. */
    paused: false,
    restartOnCrash,
    /** Exits nobody asked for: `{ at, code }`. */
    crashes: [],
    get child() {
      return child;
    },
    /** The current process's exit (a new promise after each restart). */
    get exited() {
      return exited;
    },
    get pid() {
      return child.pid;
    },
    get running() {
      return handle.exitCode === undefined;
    },
    /** Sends `signal` to the process group; an exit it causes is expected (no restart). */
    kill(signal = 'SIGKILL') {
      if (!handle.running) return false;
      if (signal === 'SIGKILL' || signal === 'SIGTERM' || signal === 'SIGINT') expectExit = true;
      if (signal === 'SIGSTOP') handle.paused = true;
      if (signal === 'SIGCONT') handle.paused = false;
      return signalGroup(signal);
    },
    pause() {
      return handle.kill('SIGSTOP');
    },
    resume() {
      return handle.kill('SIGCONT');
    },
    /**
     * Starts the process again with the same command, arguments, environment and working
     * directory (so the same data directory and port); stops the current one first
     * (SIGKILL unless `graceMs` is given, then TERM with that deadline).
     */
    async restart({ graceMs } = {}) {
      if (restartTimer) clearTimeout(restartTimer);
      restartTimer = undefined;
      if (handle.running) {
        if (graceMs === undefined) {
          handle.kill('SIGKILL');
          if (handle.paused) signalGroup('SIGCONT');
          await exited;
        } else {
          await stopCurrent(graceMs);
        }
      }
      stopping = false;
      note(`${name} restarted`);
      spawnChild();
      return handle;
    },
    async stop(graceMs = STOP_GRACE_MS) {
      stopping = true;
      if (restartTimer) clearTimeout(restartTimer);
      restartTimer = undefined;
      return stopCurrent(graceMs);
    },
  };
  const stopCurrent = async (graceMs) => {
    if (!handle.running) return handle.exitCode;
    expectExit = true;
    signalGroup('SIGTERM');
    // A stopped process acts on SIGTERM only once it runs again.
    if (handle.paused) signalGroup('SIGCONT');
    handle.paused = false;
    const current = exited;
    const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
    const code = await current;
    clearTimeout(timer);
    return code;
  };
  spawnChild();
  return handle;
}

/**
 * Stops every handle at once (each: TERM, then KILL after `graceMs`), so the whole stop
 * takes about one grace however many of them hang.
 */
async function stopAll(handles, graceMs = STOP_GRACE_MS) {
  await Promise.all(handles.map((h) => h.stop(graceMs)));
}

/** Turns on restart-on-crash for a running handle (what `restartOnCrash` does at start). */
function supervise(handle) {
  handle.restartOnCrash = true;
  return handle;
}

/** Polls `check` until it resolves true; fails early when the process died. */
async function waitUntil(handle, check, { timeoutMs, what }) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (handle && !handle.running) {
      throw new StackError(`${handle.name} exited (${handle.exitCode}) before ${what}`, handle);
    }
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new StackError(`${handle ? handle.name : what}: not ${what} after ${timeoutMs / 1000}s`, handle);
    await new Promise((r) => setTimeout(r, 200));
  }
}

class StackError extends Error {
  constructor(message, handle) {
    super(message);
    this.handle = handle;
  }
}

async function httpOk(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  return res.status >= 200 && res.status < 400;
}

function tcpOpen(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.setTimeout(1_000, () => {
      s.destroy();
      resolve(false);
    });
  });
}

module.exports = {
  freePort,
  startProcess,
  stopAll,
  supervise,
  waitUntil,
  StackError,
  httpOk,
  tcpOpen,
  tail,
  spawnTied,
  resolveCommand,
  isAlive,
  STOP_GRACE_MS,
};
