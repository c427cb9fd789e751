#!/usr/bin/env node
'use strict';
// npm run e2e: the browser tests against the local stack.
//
// Starts `npm run stack` (own process group, a free gateway port, a short order hold),
// waits for its `ready <url>` line, runs the jest e2e suite against that URL, and stops
// the stack (SIGTERM to its process group) whatever happens. Screenshots go to
// e2e-artifacts/screenshots/ at the repo root; jest's JSON report to
// .run/test-results/e2e.json (read by scripts/test.sh).
//
// Environment:
//   E2E_BASE_URL                  test an already running stack instead (not started/stopped here)
//   E2E_ORDER_EXPIRATION_SECONDS  the hold of that stack / of the one started here (default 20)
//   E2E_GATEWAY_PORT              gateway port of the stack started here (default 0: any free port)
//   E2E_STACK_TIMEOUT_SECONDS     how long to wait for `ready` (default 900: the first run builds everything)
//   CHROMIUM_PATH                 default /usr/bin/chromium (Debian's package; never a downloaded browser)
// Arguments are passed to jest (e.g. `npm run e2e -- -t expired`).
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');

const CLIENT = path.resolve(__dirname, '..');
const ROOT = path.resolve(CLIENT, '..');
const SCREENSHOT_DIR = path.join(ROOT, 'e2e-artifacts', 'screenshots');
const REPORT = path.join(ROOT, '.run', 'test-results', 'e2e.json');
const EXPIRATION = process.env.E2E_ORDER_EXPIRATION_SECONDS ?? '20';
const STACK_TIMEOUT_MS = Number(process.env.E2E_STACK_TIMEOUT_SECONDS ?? 900) * 1000;
const STOP_GRACE_MS = 30_000;

const say = (line) => console.log(`e2e: ${line}`);

/** Starts the stack; resolves with its URL once it prints `ready <url>`. */
function startStack() {
  const child = spawn('npm', ['run', 'stack'], {
    cwd: ROOT,
    detached: true, // its own process group, so one signal reaches every piece
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GATEWAY_PORT: process.env.E2E_GATEWAY_PORT ?? '0', ORDER_EXPIRATION_SECONDS: EXPIRATION, SIGNUP_MAX_PER_IP: process.env.SIGNUP_MAX_PER_IP ?? '1000' },
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "ready <url>" from npm run stack within ${STACK_TIMEOUT_MS / 1000}s`)), STACK_TIMEOUT_MS);
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream }).on('line', (line) => {
        console.log(`stack| ${line}`);
        const match = /^ready (\S+)$/.exec(line.trim());
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
    }
    exited.then((how) => {
      clearTimeout(timer);
      reject(new Error(`npm run stack exited (${how}) before it was ready`));
    });
  });
  return { child, ready, exited };
}

async function stopStack(stack) {
  if (stack.child.exitCode !== null || stack.child.signalCode !== null) return;
  say('stopping the stack');
  const signal = (sig) => {
    try {
      process.kill(-stack.child.pid, sig);
    } catch {
      // The group is already gone.
    }
  };
  signal('SIGTERM');
  const timeout = new Promise((resolve) => setTimeout(() => resolve('timeout'), STOP_GRACE_MS));
  if ((await Promise.race([stack.exited, timeout])) === 'timeout') {
    say(`the stack did not stop within ${STOP_GRACE_MS / 1000}s; SIGKILL to its process group`);
    signal('SIGKILL');
    await stack.exited;
  }
}

function runJest(baseUrl) {
  fs.mkdirSync(path.dirname(REPORT), { recursive: true });
  const jest = require.resolve('jest/bin/jest', { paths: [CLIENT] });
  const args = [jest, '-c', path.join(__dirname, 'jest.config.js'), '--ci', '--forceExit', '--verbose', '--json', `--outputFile=${REPORT}`, ...process.argv.slice(2)];
  const child = spawn(process.execPath, args, {
    cwd: CLIENT,
    stdio: 'inherit',
    env: { ...process.env, E2E_BASE_URL: baseUrl, E2E_ORDER_EXPIRATION_SECONDS: EXPIRATION, E2E_SCREENSHOT_DIR: SCREENSHOT_DIR },
  });
  return new Promise((resolve) => child.once('exit', (code, sig) => resolve(code ?? (sig ? 1 : 0))));
}

async function main() {
  fs.rmSync(SCREENSHOT_DIR, { recursive: true, force: true });
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  say(`screenshots: ${SCREENSHOT_DIR}`);

  let stack;
  let interrupted = false;
  const onSignal = (sig) => {
    if (interrupted) return;
    interrupted = true;
    say(`${sig}: stopping`);
    const done = () => process.exit(130);
    if (stack) stopStack(stack).then(done, done);
    else done();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let status = 1;
  try {
    let baseUrl = process.env.E2E_BASE_URL;
    if (baseUrl) {
      say(`testing the running stack at ${baseUrl}`);
    } else {
      say(`starting the stack (ORDER_EXPIRATION_SECONDS=${EXPIRATION})`);
      const started = Date.now();
      stack = startStack();
      baseUrl = await stack.ready;
      say(`stack ready at ${baseUrl} after ${((Date.now() - started) / 1000).toFixed(1)}s`);
    }
    status = await runJest(baseUrl);
  } catch (err) {
    console.error(`e2e: ${err.message}`);
    status = 1;
  } finally {
    if (stack && !interrupted) await stopStack(stack);
  }
  const shots = fs.readdirSync(SCREENSHOT_DIR).filter((f) => f.endsWith('.png')).length;
  say(`${shots} screenshots in ${SCREENSHOT_DIR}`);
  process.exit(status);
}

main();
