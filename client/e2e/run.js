#!/usr/bin/env node
'use strict';
// npm run e2e: the browser tests against the local stack.
//
// Starts the stack in this process (scripts/stack, as `npm run stack` does: a free
// gateway port, a short order hold), runs the jest e2e suite against its URL, and stops
// the stack whatever happens. Every child — the stack's processes and jest — is tied to
// this process (scripts/stack/processes.js spawnTied), so even a runner killed with
// SIGKILL leaves none behind. Screenshots go to e2e-artifacts/screenshots/ at the repo
// root; jest's JSON report to .run/test-results/e2e.json (read by scripts/test.sh).
//
// Environment:
//   E2E_BASE_URL                  test an already running stack instead (not started/stopped here)
//   E2E_ORDER_EXPIRATION_SECONDS  the hold of that stack / of the one started here (default 20)
//   E2E_GATEWAY_PORT              gateway port of the stack started here (default 0: any free port)
//   E2E_STACK_TIMEOUT_SECONDS     how long the stack may take to serve (default 900: the first run builds everything)
//   CHROMIUM_PATH                 default /usr/bin/chromium (Debian's package; never a downloaded browser)
// Arguments are passed to jest (e.g. `npm run e2e -- -t expired`).
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const CLIENT = path.resolve(__dirname, '..');
const ROOT = path.resolve(CLIENT, '..');
const { startStack, passThroughEnv } = require(path.join(ROOT, 'scripts/stack'));
const { spawnTied } = require(path.join(ROOT, 'scripts/stack/processes'));

const SCREENSHOT_DIR = path.join(ROOT, 'e2e-artifacts', 'screenshots');
const REPORT = path.join(ROOT, '.run', 'test-results', 'e2e.json');
const EXPIRATION = process.env.E2E_ORDER_EXPIRATION_SECONDS ?? '20';
const STACK_TIMEOUT_MS = Number(process.env.E2E_STACK_TIMEOUT_SECONDS ?? 900) * 1000;

const say = (line) => console.log(`e2e: ${line}`);

/**
 * Starts the stack (installing what is missing first, as `npm run stack` does). A start
 * that takes longer than STACK_TIMEOUT_MS rejects; the caller then exits, which ends
 * whatever the start had launched.
 */
async function startTestStack() {
  execFileSync('bash', [path.join(ROOT, 'scripts/ensure-deps.sh')], { cwd: ROOT, stdio: 'inherit' });
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the stack was not serving within ${STACK_TIMEOUT_MS / 1000}s`)), STACK_TIMEOUT_MS);
  });
  const started = startStack({
    gatewayPort: Number(process.env.E2E_GATEWAY_PORT ?? 0),
    env: { ...passThroughEnv(), ORDER_EXPIRATION_SECONDS: EXPIRATION, SIGNUP_MAX_PER_IP: process.env.SIGNUP_MAX_PER_IP ?? '1000' },
    log: (line) => console.log(`stack| ${line}`),
  });
  try {
    return await Promise.race([started, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function runJest(baseUrl) {
  fs.mkdirSync(path.dirname(REPORT), { recursive: true });
  const jest = require.resolve('jest/bin/jest', { paths: [CLIENT] });
  const args = [jest, '-c', path.join(__dirname, 'jest.config.js'), '--ci', '--forceExit', '--verbose', '--json', `--outputFile=${REPORT}`, ...process.argv.slice(2)];
  const child = spawnTied(process.execPath, args, {
    cwd: CLIENT,
    stdio: 'inherit',
    env: { ...process.env, E2E_BASE_URL: baseUrl, E2E_ORDER_EXPIRATION_SECONDS: EXPIRATION, E2E_SCREENSHOT_DIR: SCREENSHOT_DIR },
  });
  return new Promise((resolve) => child.once('exit', (code, sig) => resolve(code ?? (sig ? 1 : 0))));
}

/**
 * After a failure, the errors the stack's processes logged, last: a browser only sees a
 * digest of a server error (React's "error #441"), the web app's log has its cause.
 */
function printLoggedErrors(logDir, perFile = 15) {
  const looksLikeError = /"level":(40|50|60)\b|\b(Error|ECONNRESET|ETIMEDOUT|UND_ERR_\w+)\b|⨯/;
  for (const file of fs.existsSync(logDir) ? fs.readdirSync(logDir).sort() : []) {
    const lines = fs.readFileSync(path.join(logDir, file), 'utf8').split('\n').filter((l) => looksLikeError.test(l));
    if (lines.length === 0) continue;
    say(`${file}: ${lines.length} error or warning lines, the last ${Math.min(perFile, lines.length)}:`);
    for (const line of lines.slice(-perFile)) console.log(`  ${line.slice(0, 400)}`);
  }
}

async function main() {
  fs.rmSync(SCREENSHOT_DIR, { recursive: true, force: true });
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  say(`screenshots: ${SCREENSHOT_DIR}`);

  let stack;
  let stopping;
  const stopStack = () => {
    if (!stack) return Promise.resolve();
    if (!stopping) say('stopping the stack');
    return (stopping ??= stack.stop());
  };
  const onSignal = (sig) => {
    say(`${sig}: stopping`);
    // Exiting ends jest and, while the stack is still starting, what it launched so far.
    const exit = () => process.exit(130);
    stopStack().then(exit, exit);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let status = 1;
  try {
    let baseUrl = process.env.E2E_BASE_URL;
    if (baseUrl) {
      say(`testing the running stack at ${baseUrl}`);
    } else {
      say(`starting the stack (ORDER_EXPIRATION_SECONDS=${EXPIRATION})`);
      stack = await startTestStack();
      baseUrl = stack.url;
      say(`stack ready at ${baseUrl} after ${stack.seconds.toFixed(1)}s`);
    }
    status = await runJest(baseUrl);
  } catch (err) {
    console.error(`e2e: ${err.message}`);
    status = 1;
  } finally {
    await stopStack();
  }
  const shots = fs.readdirSync(SCREENSHOT_DIR).filter((f) => f.endsWith('.png')).length;
  say(`${shots} screenshots in ${SCREENSHOT_DIR}`);
  if (status !== 0 && stack) printLoggedErrors(stack.logDir);
  process.exit(status);
}

main();
