'use strict';
// Builds a workspace only when its sources changed since its last build.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');

function newestMtime(dir, skip) {
  let newest = 0;
  const walk = (d) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      if (skip.has(entry.name)) continue;
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
  };
  walk(dir);
  return newest;
}

const SKIP = new Set(['node_modules', 'dist', '.next', 'e2e', '__tests__', 'coverage', 'Dockerfile', 'Dockerfile.dockerignore']);

/**
 * Runs `npm run build` of a workspace unless its stamp is newer than every source file
 * and than the stamps of the workspaces it depends on. Returns true when it built.
 */
function buildIfStale(workspace, { dependsOn = [], outDir = 'dist', log = () => {} } = {}) {
  const dir = path.join(ROOT, workspace);
  const stamp = path.join(dir, outDir, '.stack-build-stamp');
  const sourcesAt = Math.max(
    newestMtime(dir, SKIP),
    ...dependsOn.map((dep) => statMtime(path.join(ROOT, dep, 'dist', '.stack-build-stamp'))),
  );
  if (statMtime(stamp) > sourcesAt) return false;
  log(`building ${workspace}`);
  const started = Date.now();
  try {
    execFileSync('npm', ['run', 'build', '-w', workspace], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const output = `${err.stdout ?? ''}${err.stderr ?? ''}`.trim().split('\n').slice(-40).join('\n');
    throw new Error(`build of ${workspace} failed:\n${output}`);
  }
  fs.mkdirSync(path.dirname(stamp), { recursive: true });
  fs.writeFileSync(stamp, new Date().toISOString());
  log(`built ${workspace} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return true;
}

function statMtime(p) {
  try {
    return fs.statSync(p).mtimeMs;
  } catch {
    return 0;
  }
}

module.exports = { buildIfStale, ROOT };
