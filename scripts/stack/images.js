'use strict';
// The stack's services and web app from their images (`npm run stack -- --images`):
// each one a `podman run --network host` in the foreground, so it is a process handle
// like the others (processes.js: log file, `exited`, `stop`), with the environment the
// process stack gives it, a read-only root file system and a tmpfs /tmp as in the
// manifests. Stopping removes the container; a stack that was killed before it could
// (SIGKILL) has its containers removed by the next stack's `removeOrphans`.
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { startProcess, StackError } = require('./processes');

const ROOT = path.resolve(__dirname, '../..');
const LABEL = 'org.ticketing.stack-pid';
const IMAGE = (name) => `localhost/ticketing/${name}:latest`;

/**
 * Builds the images that are missing or stale (`npm run images`, which skips current
 * ones). Throws a StackError saying why when podman cannot work on this machine.
 */
function ensureImages({ log = () => {}, names = [] } = {}) {
  log(`images: scripts/images/build.sh ${names.join(' ')}`);
  const r = spawnSync('bash', [path.join(ROOT, 'scripts/images/build.sh'), ...names], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  for (const line of r.stdout.trimEnd().split('\n')) if (line) log(line.replace(/^images: /, 'images: '));
  if (r.status === 3) {
    const why = (r.stdout.match(/^images: unavailable: (.*)$/m) ?? [])[1] ?? 'podman is not usable';
    throw new StackError(`--images: podman cannot run images here: ${why}`);
  }
  if (r.status !== 0) throw new StackError(`--images: building the images failed (scripts/images/build.sh exited ${r.status})`);
}

/** Removes the containers of stacks whose launcher is gone (killed before it could). */
function removeOrphans({ log = () => {} } = {}) {
  const r = spawnSync('podman', ['ps', '-a', '--filter', `label=${LABEL}`, '--format', `{{.ID}} {{index .Labels "${LABEL}"}}`], {
    encoding: 'utf8',
  });
  if (r.status !== 0) return;
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const [id, pid] = line.split(' ');
    let alive = false;
    try {
      process.kill(Number(pid), 0);
      alive = true;
    } catch {
      /* gone */
    }
    if (!alive) {
      spawnSync('podman', ['rm', '-f', '-t', '0', id], { stdio: 'ignore' });
      log(`images: removed container ${id} of a stack that is gone (pid ${pid})`);
    }
  }
}

/**
 * Starts `name`'s image (auth … expiration, client) as a handle of processes.js.
 *   env      the variables the process stack passes (written to a 0600 env file, not
 *            the command line)
 *   args     the command to run instead of the image's CMD (the client's `next start
 *            -p PORT -H 127.0.0.1`); default the image's CMD
 *   runDir   where the env file goes; logFile: the container's output
 */
function startContainer({ name, env, args = [], runDir, logFile }) {
  const container = `ticketing-stack-${process.pid}-${name}`;
  spawnSync('podman', ['rm', '-f', '-t', '0', container], { stdio: 'ignore' });
  const envFile = path.join(runDir, `${name}.env`);
  fs.writeFileSync(
    envFile,
    Object.entries(env)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${String(v).replace(/\n/g, ' ')}`)
      .join('\n') + '\n',
    { mode: 0o600 },
  );
  const tmpfs = ['--tmpfs', '/tmp:rw,nosuid,nodev,size=64m'];
  // Next.js writes its cache there (a volume in the manifests).
  if (name === 'client') tmpfs.push('--tmpfs', '/app/client/.next/cache:rw,mode=1777,size=128m');
  const handle = startProcess({
    name,
    cmd: 'podman',
    args: [
      'run', '--rm', '--name', container, '--label', `${LABEL}=${process.pid}`,
      '--pull=never', '--network', 'host', '--read-only', ...tmpfs,
      // Signals sent to this podman process reach node in the container.
      '--sig-proxy=true', '--env-file', envFile,
      IMAGE(name), ...args,
    ],
    logFile,
    cwd: ROOT,
  });
  handle.container = container;
  handle.image = IMAGE(name);
  // The podman process is the handle: SIGTERM to it reaches node (--sig-proxy), and it
  // exits with the container's status. Then the container must be gone whatever ended
  // the client: `podman stop` (TERM, then KILL after 10 s) in case the client died
  // first, then remove it.
  const stopProcess = handle.stop.bind(handle);
  handle.stop = async (graceMs = 15_000) => {
    const code = await stopProcess(graceMs);
    spawnSync('podman', ['stop', '-t', '10', container], { stdio: 'ignore' });
    spawnSync('podman', ['rm', '-f', '-t', '0', container], { stdio: 'ignore' });
    return code;
  };
  // SIGTERM/SIGINT go through the podman process (--sig-proxy), which marks the exit
  // as expected; SIGKILL, SIGSTOP and SIGCONT act on the container itself (killing the
  // podman client would leave the container running).
  const killProcess = handle.kill.bind(handle);
  handle.kill = (signal = 'SIGKILL') => {
    if (!handle.running) return false;
    if (signal === 'SIGTERM' || signal === 'SIGINT') return killProcess(signal);
    const cmd = { SIGSTOP: ['pause'], SIGCONT: ['unpause'] }[signal] ?? ['kill', '--signal', signal.replace(/^SIG/, '')];
    const ok = spawnSync('podman', [...cmd, container], { stdio: 'ignore' }).status === 0;
    if (signal === 'SIGSTOP' || signal === 'SIGCONT') handle.paused = signal === 'SIGSTOP';
    if (signal === 'SIGKILL') killProcess('SIGTERM'); // the container is gone: end its client, as expected
    return ok;
  };
  return handle;
}

/** True when podman answers (for a caller deciding whether --images can work at all). */
function podmanAvailable() {
  try {
    execFileSync('podman', ['info', '--format', '{{.Host.OCIRuntime.Name}}'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

module.exports = { ensureImages, removeOrphans, startContainer, podmanAvailable, IMAGE, LABEL };
