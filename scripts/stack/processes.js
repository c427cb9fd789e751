'use strict';
// Child processes of the stack: each with its own log file, stopped by signal with a
// deadline, and watched so an early exit is reported with the tail of its log.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');

/** A free loopback port: bind port 0, read it, release it. */
function freePort() {
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
 * Starts `cmd args` with output appended to `logFile`. The returned handle knows whether
 * the process is still running and can stop it (TERM, then KILL after `graceMs`).
 */
function startProcess({ name, cmd, args = [], env = {}, cwd, logFile }) {
  const out = fs.openSync(logFile, 'a');
  const child = spawn(cmd, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', out, out],
    // Own process group: a Ctrl-C in the terminal reaches only the orchestrator, which
    // then stops the children in order (services before the servers they use).
    detached: true,
  });
  fs.closeSync(out);
  const handle = {
    name,
    logFile,
    child,
    exitCode: undefined,
    exited: new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        handle.exitCode = code ?? signal;
        resolve(handle.exitCode);
      });
      child.once('error', (err) => {
        fs.appendFileSync(logFile, `\n[stack] could not start ${cmd}: ${err.message}\n`);
        handle.exitCode = 'spawn-error';
        resolve(handle.exitCode);
      });
    }),
    get running() {
      return handle.exitCode === undefined;
    },
    async stop(graceMs = 15_000) {
      if (!handle.running) return handle.exitCode;
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }, graceMs);
      const code = await handle.exited;
      clearTimeout(timer);
      return code;
    },
  };
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

module.exports = { freePort, startProcess, waitUntil, StackError, httpOk, tcpOpen, tail };
