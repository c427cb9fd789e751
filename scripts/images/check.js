'use strict';
// The checks on the built images (part `images` of npm test, after build.sh):
//   user     the image runs as uid 1000 (USER node), and so does its PID 1, which is node
//   start    it starts with a read-only root file system (a tmpfs /tmp, and the client's
//            .next/cache, as the manifests mount) and answers /readyz with 200
//   sigterm  SIGTERM drains (the service logs its shutdown and its stop) and the
//            container exits 0 within the grace period the manifest declares, less its
//            preStop pause (the web app: Next.js closes its server and exits 143, by
//            design, which is accepted for it alone)
//   contents no dev dependency (by package-lock.json's `dev` flag), no test, no
//            TypeScript source, no other service's files, no .env file anywhere
//   size     within the budget of infra/README.md's table ("Image budgets")
// Prints "ok <image> <check>" or "--- FAIL <image> <check>: why" per check, then
// "images: N passed, N failed". The services run on the host network against the test
// servers of npm test (MONGO_URI, NATS_URL, NATS_CLUSTER_ID, REDIS_URL, STRIPE_API_BASE;
// defaults: scripts/servers.sh's ports). Usage: node check.js [name...] [--ref=IMAGE]
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { ROOT, IMAGES, SERVICES } = require('./catalog');

let passed = 0;
let failed = 0;
const ok = (image, check, note = '') => {
  passed++;
  console.log(`ok ${image} ${check}${note ? ` (${note})` : ''}`);
};
const fail = (image, check, why) => {
  failed++;
  console.log(`--- FAIL ${image} ${check}: ${why}`);
};
const podman = (...args) => spawnSync('podman', args, { encoding: 'utf8', maxBuffer: 256 << 20 });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Budgets in MB from infra/README.md: rows "| `ticketing/<name>` | … | <n> MB |". */
function budgets() {
  const text = fs.readFileSync(path.join(ROOT, 'infra/README.md'), 'utf8');
  const section = text.split(/^### Image budgets$/m)[1]?.split(/^#{2,3} /m)[0] ?? '';
  const out = {};
  for (const m of section.matchAll(/^\| `ticketing\/([a-z]+)` \|.*\| (\d+) MB \|$/gm)) out[m[1]] = Number(m[2]);
  return out;
}

/** The manifest's grace period, less its preStop pause: what SIGTERM gets. */
function graceSeconds(name) {
  const text = fs.readFileSync(path.join(ROOT, 'infra/k8s/base', `${name}.yaml`), 'utf8');
  const grace = Number((text.match(/terminationGracePeriodSeconds: (\d+)/) ?? [])[1] ?? 30);
  const pause = Number((text.match(/preStop:\s*\n\s*sleep:\s*\n\s*seconds: (\d+)/) ?? [])[1] ?? 0);
  return { grace, pause, budget: grace - pause };
}

function contents(image) {
  const name = image.name;
  // One listing of the image's files (node_modules' package manifests and everything
  // else but node_modules' insides), and of .env files anywhere.
  const r = podman(
    'run', '--rm', '--pull=never', '--network', 'none', '--user', '0', '--entrypoint', 'sh', image.ref, '-c',
    'cd /app && find . -name node_modules -prune -o -print; echo "#packages"; ' +
      "find . -path '*node_modules/*' -name package.json -not -path '*node_modules/*/node_modules/*/*/*/*' -print; " +
      "echo '#env'; find / -xdev \\( -path /proc -o -path /sys -o -path /dev \\) -prune -o \\( -name '.env' -o -name '.env.*' \\) -print",
  );
  if (r.status !== 0) return fail(name, 'contents', `cannot list the image: ${r.stderr.trim()}`);
  const [own, rest] = r.stdout.split('#packages\n');
  const [pkgs, envs] = rest.split('#env\n');
  const files = own.split('\n').filter(Boolean).map((f) => f.replace(/^\.\//, ''));
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')).packages;
  const problems = [];
  // Dev dependencies: an installed package whose lock entry is dev-only.
  const dev = pkgs
    .split('\n')
    .filter(Boolean)
    .map((p) => path.posix.dirname(p.replace(/^\.\//, '')))
    .filter((dir) => lock[dir]?.dev === true);
  if (dev.length) problems.push(`dev dependencies: ${dev.slice(0, 8).join(', ')}${dev.length > 8 ? ` and ${dev.length - 8} more` : ''}`);
  const tests = files.filter((f) => /(^|\/)(__tests__|e2e)(\/|$)|\.(test|spec)\.[cm]?[jt]sx?$|(^|\/)src\/test(\/|$)/.test(f));
  if (tests.length) problems.push(`tests: ${tests.slice(0, 5).join(', ')}`);
  // next.config.ts is the one TypeScript file an image needs: `next start` reads it.
  const sources = files.filter((f) => /\.tsx?$/.test(f) && !/\.d\.ts$/.test(f) && f !== 'client/next.config.ts');
  if (sources.length) problems.push(`TypeScript sources: ${sources.slice(0, 5).join(', ')}`);
  const others = [...SERVICES, 'client'].filter((w) => w !== name);
  const foreign = files.filter((f) => others.some((o) => f.startsWith(`${o}/`)) && !/^[a-z]+\/package\.json$/.test(f));
  if (foreign.length) problems.push(`other services' files: ${foreign.slice(0, 5).join(', ')}`);
  const envFiles = envs.split('\n').filter(Boolean);
  if (envFiles.length) problems.push(`.env files: ${envFiles.join(', ')}`);
  if (problems.length) fail(name, 'contents', problems.join('; '));
  else ok(name, 'contents', `${files.length} files outside node_modules, no dev dependency, test, source, foreign or .env file`);
}

function size(image, budget) {
  const bytes = Number(podman('image', 'inspect', '--format', '{{.Size}}', image.ref).stdout.trim());
  const mb = Math.round(bytes / 1e6);
  if (!budget) fail(image.name, 'size', `${mb} MB, and infra/README.md states no budget for ticketing/${image.name}`);
  else if (mb > budget) fail(image.name, 'size', `${mb} MB, over its budget of ${budget} MB (infra/README.md)`);
  else ok(image.name, 'size', `${mb} MB, budget ${budget} MB`);
}

async function runtime(image) {
  const name = image.name;
  const container = `ticketing-check-${process.pid}-${name}`;
  const port = await freePort();
  const env = {
    PORT: port,
    LOG_LEVEL: 'info',
    NODE_ENV: 'production',
  };
  if (name === 'client') {
    Object.assign(env, { API_INTERNAL_URL: 'http://127.0.0.1:9', NEXT_TELEMETRY_DISABLED: '1', HOSTNAME: '127.0.0.1' });
  } else {
    Object.assign(env, {
      METRICS_PORT: await freePort(),
      JWT_KEY: crypto.randomBytes(32).toString('hex'),
      COOKIE_SECURE: 'false',
      MONGO_URI: `${(process.env.MONGO_URI ?? 'mongodb://127.0.0.1:27017').replace(/\/+$/, '')}/${name}-image-check`,
      NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4223',
      NATS_CLUSTER_ID: process.env.NATS_CLUSTER_ID ?? 'ticketing',
      NATS_CLIENT_ID: `${name}-image-check-${process.pid}`,
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      STRIPE_SECRET_KEY: 'sk_test_image_check',
      STRIPE_API_BASE: process.env.STRIPE_API_BASE ?? 'http://127.0.0.1:12111',
    });
  }
  const envFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'image-check-')), 'env');
  fs.writeFileSync(envFile, Object.entries(env).map(([k, v]) => `${k}=${v}`).join('\n') + '\n', { mode: 0o600 });
  const tmpfs = ['--tmpfs', '/tmp:rw,nosuid,nodev,size=64m'];
  if (name === 'client') tmpfs.push('--tmpfs', '/app/client/.next/cache:rw,mode=1777,size=128m');
  podman('rm', '-f', '-t', '0', container);
  const started = podman('run', '-d', '--name', container, '--pull=never', '--network', 'host', '--read-only', ...tmpfs, '--env-file', envFile, image.ref);
  fs.rmSync(path.dirname(envFile), { recursive: true, force: true });
  const logs = () => `${podman('logs', container).stdout}${podman('logs', container).stderr}`.trim().split('\n').slice(-8).join('\n');
  try {
    if (started.status !== 0) return fail(name, 'start', `podman run failed: ${started.stderr.trim()}`);
    // Ready: /readyz answers 200 within 90 s (a cold Next.js or a slow shared machine).
    const deadline = Date.now() + 90_000;
    let ready = false;
    while (Date.now() < deadline) {
      const state = podman('inspect', '--format', '{{.State.Running}}', container).stdout.trim();
      if (state !== 'true') break;
      try {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2_000) });
        if (res.status === 200) {
          ready = true;
          break;
        }
      } catch {
        /* not yet */
      }
      await sleep(300);
    }
    if (!ready) return fail(name, 'start', `no 200 from /readyz with a read-only root file system; last log lines:\n${logs()}`);
    const writable = podman('exec', container, 'sh', '-c', 'touch /app/.probe 2>&1 || true').stdout;
    if (!/Read-only file system/.test(writable)) fail(name, 'start', `the root file system is writable: ${writable.trim() || 'touch /app/.probe succeeded'}`);
    else ok(name, 'start', 'read-only root file system, /readyz 200');

    const status = podman('exec', container, 'cat', '/proc/1/status').stdout;
    const uids = (status.match(/^Uid:\s+(.*)$/m) ?? [])[1]?.trim().split(/\s+/) ?? [];
    // The executable, not the name: Next.js renames its process "next-server (v…)".
    const comm = podman('exec', container, 'readlink', '/proc/1/exe').stdout.trim();
    const user = podman('image', 'inspect', '--format', '{{.Config.User}}', image.ref).stdout.trim();
    if (uids.length !== 4 || uids.some((u) => u !== '1000')) fail(name, 'user', `PID 1 runs with uids ${uids.join(' ')}, want 1000`);
    else if (path.basename(comm) !== 'node') fail(name, 'user', `PID 1 is ${comm}, not node (signals would not reach it)`);
    else ok(name, 'user', `USER ${user}; PID 1 is node with uid 1000`);

    const { grace, pause, budget } = graceSeconds(name);
    const t0 = Date.now();
    podman('kill', '--signal', 'TERM', container);
    const waited = spawnSync('podman', ['wait', container], { encoding: 'utf8', timeout: (budget + 10) * 1000 });
    const seconds = (Date.now() - t0) / 1000;
    const code = waited.stdout.trim();
    const log = `${podman('logs', container).stdout}${podman('logs', container).stderr}`;
    const drained = name === 'client' || (log.includes(`${name} shutting down`) && log.includes(`${name} stopped`));
    // Next.js 16 closes its server on SIGTERM and then exits 143 (128 + SIGTERM) on
    // purpose (next/dist/server/lib/start-server.js); Kubernetes treats both as a stop.
    const clean = code === '0' || (name === 'client' && code === '143');
    if (!clean) fail(name, 'sigterm', `exit ${code || '(still running)'} after ${seconds.toFixed(1)}s; last log lines:\n${logs()}`);
    else if (seconds > budget) fail(name, 'sigterm', `exited 0 but after ${seconds.toFixed(1)}s, more than the ${budget}s SIGTERM gets (grace ${grace}s less preStop ${pause}s)`);
    else if (!drained) fail(name, 'sigterm', `exited 0 without logging "${name} shutting down" and "${name} stopped"`);
    else ok(name, 'sigterm', `exit ${code} in ${seconds.toFixed(1)}s of ${budget}s (grace ${grace}s less preStop ${pause}s)`);
  } finally {
    podman('rm', '-f', '-t', '0', container);
  }
}

async function main() {
  // --ref=<image>: check another image as if it were the one named (to see a check fail).
  const refArg = process.argv.slice(2).find((a) => a.startsWith('--ref='))?.slice(6);
  const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const limits = budgets();
  for (const listed of IMAGES.filter((i) => only.length === 0 || only.includes(i.name))) {
    const image = refArg ? { ...listed, ref: refArg } : listed;
    if (podman('image', 'exists', image.ref).status !== 0) {
      fail(image.name, 'built', `${image.ref} does not exist (npm run images)`);
      continue;
    }
    size(image, limits[image.name]);
    contents(image);
    await runtime(image);
  }
  console.log(`images: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main();
