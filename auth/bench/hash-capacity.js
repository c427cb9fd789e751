#!/usr/bin/env node
// How many password hashes per second this machine's cores can do at the production cost.
//
//   node auth/bench/hash-capacity.js [--hashes N]        (needs `npm run build -w auth`)
//
// Runs N hashes (default 8) one after another, after one warm-up, with the service's own
// PasswordHasher and default scrypt parameters. CPU time (user + system of this process) is
// measured rather than wall time, so other load on a shared machine inflates the result
// less. Prints one JSON line on stdout:
//   {"cores":2,"hashes":8,"params":{"N":32768,"r":8,"p":3},"cpuSecondsPerHash":0.26,
//    "wallSecondsPerHash":0.31,"capacityPerSecond":7.7}
// where capacityPerSecond = cores / cpuSecondsPerHash: the most sign-ins plus sign-ups per
// second one auth process (HASH_CONCURRENCY = cores) can serve when hashing is its only work.
const os = require('node:os');
const path = require('node:path');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? Number(process.argv[i + 1]) : fallback;
}

let password;
try {
  password = require(path.join(__dirname, '../dist/services/password'));
} catch {
  console.error('hash-capacity: auth is not built; run `npm run build -w auth` first');
  process.exit(1);
}

async function main() {
  const hashes = arg('hashes', 8);
  if (!Number.isInteger(hashes) || hashes < 1) throw new Error('--hashes must be a whole number of at least 1');
  const hasher = new password.PasswordHasher();
  await hasher.hash('warm-up-password');

  const cpuBefore = process.cpuUsage();
  const wallBefore = process.hrtime.bigint();
  for (let i = 0; i < hashes; i++) await hasher.hash(`password-${i}`);
  const cpu = process.cpuUsage(cpuBefore);
  const wallSeconds = Number(process.hrtime.bigint() - wallBefore) / 1e9;

  const cores = os.availableParallelism();
  const cpuSecondsPerHash = (cpu.user + cpu.system) / 1e6 / hashes;
  const round = (n) => Math.round(n * 1000) / 1000;
  console.log(
    JSON.stringify({
      cores,
      hashes,
      params: password.DEFAULT_SCRYPT_PARAMS,
      cpuSecondsPerHash: round(cpuSecondsPerHash),
      wallSecondsPerHash: round(wallSeconds / hashes),
      capacityPerSecond: round(cores / cpuSecondsPerHash),
    }),
  );
}

main().catch((err) => {
  console.error(`hash-capacity: ${err.message}`);
  process.exit(1);
});
