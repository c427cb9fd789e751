'use strict';
// Builds the six images with podman (build.sh has made podman and the base image ready):
// each is skipped when an image of that name carries the hash of what it is built from
// (label org.ticketing.inputs, see catalog.js); otherwise `podman build --pull=never`
// from its Dockerfile. Prints one line per image: name, built or current, time, size.
// Usage: node build.js [--force] [name...]
const { spawnSync, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, IMAGES, BASE_IMAGE, inputsHash } = require('./catalog');

const mb = (bytes) => `${Math.round(bytes / 1e6)} MB`;
const inspect = (ref, format) => {
  const r = spawnSync('podman', ['image', 'inspect', '--format', format, ref], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
};

function main() {
  const args = process.argv.slice(2);
  const force = args.includes('--force');
  const only = args.filter((a) => !a.startsWith('--'));
  const unknown = only.filter((n) => !IMAGES.some((i) => i.name === n));
  if (unknown.length) {
    console.error(`images: unknown image ${unknown.join(', ')} (images: ${IMAGES.map((i) => i.name).join(' ')})`);
    process.exit(2);
  }
  const baseId = inspect(BASE_IMAGE, '{{.Id}}');
  if (!baseId) {
    console.error(`images: ${BASE_IMAGE} is missing (scripts/images/base.sh builds it)`);
    process.exit(1);
  }
  const baseSize = Number(inspect(BASE_IMAGE, '{{.Size}}'));
  const logDir = path.join(ROOT, '.run', 'images');
  fs.mkdirSync(logDir, { recursive: true });
  const summary = [];
  let failed = false;
  for (const image of IMAGES.filter((i) => only.length === 0 || only.includes(i.name))) {
    const hash = inputsHash(image, baseId);
    const current = inspect(image.ref, '{{index .Labels "org.ticketing.inputs"}}');
    const started = Date.now();
    let state = 'current';
    if (force || current !== hash) {
      const logFile = path.join(logDir, `${image.name}.log`);
      const buildArgs = Object.entries(image.buildArgs).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]);
      const cmd = [
        'build', '--pull=never', '--layers', '--target', 'run',
        '-f', image.dockerfile, '--ignorefile', `${image.dockerfile}.dockerignore`,
        ...buildArgs, '--label', `org.ticketing.inputs=${hash}`, '-t', image.ref, '.',
      ];
      console.log(`images: ${image.name}: building (podman ${cmd.join(' ')}; log ${path.relative(ROOT, logFile)})`);
      const out = fs.openSync(logFile, 'w');
      const r = spawnSync('podman', cmd, { cwd: ROOT, stdio: ['ignore', out, out] });
      fs.closeSync(out);
      if (r.status !== 0) {
        const tail = fs.readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-25).join('\n');
        console.error(`images: ${image.name}: build FAILED (exit ${r.status}); last lines of ${logFile}:\n${tail}`);
        failed = true;
        summary.push({ name: image.name, ref: image.ref, state: 'failed' });
        continue;
      }
      state = 'built';
    }
    const seconds = (Date.now() - started) / 1000;
    const size = Number(inspect(image.ref, '{{.Size}}'));
    summary.push({ name: image.name, ref: image.ref, state, seconds, size, hash });
    console.log(
      `images: ${image.ref.padEnd(36)} ${state === 'built' ? `built in ${seconds.toFixed(0)}s` : 'current'.padEnd(12)}` +
        `  ${mb(size).padStart(7)} (base ${mb(baseSize)} + own layers ${mb(size - baseSize)})`,
    );
  }
  fs.writeFileSync(path.join(logDir, 'summary.json'), JSON.stringify({ base: { ref: BASE_IMAGE, size: baseSize }, images: summary }, null, 2));
  process.exit(failed ? 1 : 0);
}

main();
