import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/**
 * Runs `script` in a new `node --expose-gc` process and returns the JSON it writes to
 * stdout. For heap measurements: inside a jest worker, what earlier suites left behind is
 * freed at unpredictable times (readings of −9 and −26 MB with the measured objects alive).
 * `built` is the compiled module the script loads; it must be newer than its `source`, or
 * the test would measure old code.
 */
export function measureInFreshProcess<T>(opts: { source: string; built: string; script: string }): T {
  const { source, built, script } = opts;
  if (!fs.existsSync(built) || fs.statSync(built).mtimeMs < fs.statSync(source).mtimeMs) {
    throw new Error(`${built} is older than ${source}: build the package first (npm run build)`);
  }
  return JSON.parse(execFileSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8' })) as T;
}
