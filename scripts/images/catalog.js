'use strict';
// The six images: which Dockerfile, which build argument, and which files each is built
// from (the files its dockerignore sends, less the other services' sources for a service
// image). Shared by build.js (what is current), check.js and scripts/stack/images.js.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '../..');
const SERVICES = ['auth', 'tickets', 'orders', 'payments', 'expiration'];
const BASE_IMAGE = 'docker.io/library/node:20.20.2-bookworm-slim';
const SERVICE_DOCKERFILE = 'infra/docker/service.Dockerfile';
const ref = (name) => `localhost/ticketing/${name}:latest`;

const IMAGES = [
  ...SERVICES.map((s) => ({
    name: s,
    ref: ref(s),
    dockerfile: SERVICE_DOCKERFILE,
    buildArgs: { SERVICE: s },
    // The recipe copies only SERVICE's folder: another service's sources do not make
    // this image stale.
    unrelated: new RegExp(`^(${SERVICES.filter((o) => o !== s).join('|')})/(?!package\\.json$)`),
  })),
  { name: 'client', ref: ref('client'), dockerfile: 'client/Dockerfile', buildArgs: {}, unrelated: null },
];

/** A .dockerignore's patterns as a function: is this path (relative, /) sent? */
function dockerignore(file) {
  const rules = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const glob = path.posix.normalize(negate ? l.slice(1) : l).replace(/^\/+/, '');
      let re = '';
      for (let i = 0; i < glob.length; i++) {
        const c = glob[i];
        if (glob.startsWith('**/', i)) {
          re += '(?:.*/)?';
          i += 2;
        } else if (glob.startsWith('**', i)) {
          re += '.*';
          i += 1;
        } else if (c === '*') re += '[^/]*';
        else if (c === '?') re += '[^/]';
        else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
      }
      return { negate, re: new RegExp(`^${re}$`) };
    });
  return (rel) => {
    const parts = rel.split('/');
    const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let ignored = false;
    for (const r of rules) if (candidates.some((c) => r.re.test(c))) ignored = !r.negate;
    return !ignored;
  };
}

/** The files an image is built from, relative to the repository root, sorted. */
function inputFiles(image) {
  const sent = dockerignore(path.join(ROOT, `${image.dockerfile}.dockerignore`));
  const listed = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: ROOT, maxBuffer: 64 << 20 })
    .toString()
    .split('\0')
    .filter(Boolean);
  return listed
    .filter((f) => sent(f) && !(image.unrelated && image.unrelated.test(f)) && fs.existsSync(path.join(ROOT, f)))
    .concat([image.dockerfile, `${image.dockerfile}.dockerignore`])
    .sort();
}

/** A hash of everything the image depends on: its files, its arguments, the base image. */
function inputsHash(image, baseId) {
  const h = crypto.createHash('sha256');
  h.update(`${baseId}\n${JSON.stringify(image.buildArgs)}\n`);
  for (const f of inputFiles(image)) {
    h.update(`${f}\n`);
    h.update(fs.readFileSync(path.join(ROOT, f)));
  }
  return h.digest('hex').slice(0, 16);
}

module.exports = { ROOT, SERVICES, IMAGES, BASE_IMAGE, SERVICE_DOCKERFILE, inputFiles, inputsHash, dockerignore };
