import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hashMemory, HUGE_PAGES_TUNABLE, transparentHugePagesMode } from '../hash-memory';
import { DEFAULT_SCRYPT_PARAMS } from '../password';

const THP_FILE = '/sys/kernel/mm/transparent_hugepage/enabled';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A THP settings file with `text`, as the kernel writes it. */
function thpFile(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'thp-'));
  dirs.push(dir);
  const file = path.join(dir, 'enabled');
  fs.writeFileSync(file, `${text}\n`);
  return file;
}

describe('hashMemory', () => {
  it('when the kernel file names its mode in brackets, then that mode is read', () => {
    expect(transparentHugePagesMode('always [madvise] never')).toBe('madvise');
    expect(transparentHugePagesMode('[always] madvise never')).toBe('always');
    expect(transparentHugePagesMode('garbage')).toBeUndefined();
  });

  it('when THP is madvise and glibc is asked for huge pages, then hashing is in huge pages', () => {
    const m = hashMemory({ tunables: `glibc.malloc.arena_max=2:${HUGE_PAGES_TUNABLE}`, glibc: '2.36', thpFile: thpFile('always [madvise] never') });
    expect(m).toEqual({ hugePages: true, reason: expect.stringContaining('madvise') });
  });

  it('when THP is madvise and the tunable is missing, then hashing is not in huge pages and the reason names the tunable', () => {
    const m = hashMemory({ tunables: '', glibc: '2.36', thpFile: thpFile('always [madvise] never') });
    expect(m.hugePages).toBe(false);
    expect(m.reason).toContain(HUGE_PAGES_TUNABLE);
  });

  it('when the C library is not glibc, then the tunable does nothing under madvise', () => {
    const m = hashMemory({ tunables: HUGE_PAGES_TUNABLE, glibc: '', thpFile: thpFile('always [madvise] never') });
    expect(m).toEqual({ hugePages: false, reason: expect.stringContaining('not glibc') });
  });

  it('when THP is always or never, then the kernel decides whatever the tunable says', () => {
    expect(hashMemory({ tunables: '', glibc: '2.36', thpFile: thpFile('[always] madvise never') }).hugePages).toBe(true);
    expect(hashMemory({ tunables: HUGE_PAGES_TUNABLE, glibc: '2.36', thpFile: thpFile('always madvise [never]') }).hugePages).toBe(false);
    expect(hashMemory({ tunables: HUGE_PAGES_TUNABLE, glibc: '2.36', thpFile: '/nonexistent/enabled' }).hugePages).toBe(false);
  });
});

/**
 * One scrypt at the service's cost in a fresh node process with `env` added (glibc reads its
 * tunables at start), while the main thread samples the process's AnonHugePages every 2 ms:
 * the most seen, in MiB.
 */
function peakHugePagesDuringHash(env: Record<string, string>): Promise<number> {
  const script = `
    const crypto = require('node:crypto');
    const fs = require('node:fs');
    const params = { ...${JSON.stringify(DEFAULT_SCRYPT_PARAMS)}, maxmem: 64 * 1024 * 1024 };
    const huge = () => Number(/AnonHugePages:\\s+(\\d+) kB/.exec(fs.readFileSync('/proc/self/smaps_rollup', 'utf8'))[1]);
    let peak = huge();
    const timer = setInterval(() => { peak = Math.max(peak, huge()); }, 2);
    crypto.scrypt('password', crypto.randomBytes(16), 64, params, (err) => {
      clearInterval(timer);
      if (err) throw err;
      process.stdout.write(String(peak / 1024));
    });`;
  return new Promise((resolve, reject) =>
    execFile(process.execPath, ['-e', script], { env: { ...process.env, ...env }, timeout: 30_000 }, (err, stdout) =>
      err ? reject(err) : resolve(Number(stdout)),
    ),
  );
}

const glibc = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime;
const mode = fs.existsSync(THP_FILE) ? transparentHugePagesMode(fs.readFileSync(THP_FILE, 'utf8')) : undefined;
const canTest = Boolean(glibc) && (mode === 'madvise' || mode === 'always') && fs.existsSync('/proc/self/smaps_rollup');
if (!canTest) console.warn(`hash-memory: THP mode ${mode ?? 'absent'}, glibc ${glibc ?? 'absent'}: the real-process check is skipped`);

(canTest ? describe : describe.skip)('scrypt in a real process', () => {
  jest.setTimeout(60_000);

  it(`when node runs with GLIBC_TUNABLES=${HUGE_PAGES_TUNABLE}, then scrypt's 32 MiB block is in huge pages while it hashes`, async () => {
    const withTunable = await peakHugePagesDuringHash({ GLIBC_TUNABLES: HUGE_PAGES_TUNABLE });
    const without = await peakHugePagesDuringHash({ GLIBC_TUNABLES: '' });
    console.log(`AnonHugePages peak during one scrypt: ${withTunable} MiB with the tunable, ${without} MiB without (THP ${mode})`);
    // The block is 32 MiB (128 * N * r); its 2 MiB-aligned part is at least 30 MiB.
    expect(withTunable).toBeGreaterThanOrEqual(30);
    if (mode === 'madvise') expect(without).toBeLessThan(withTunable - 16);
    // What the service itself reports for the same settings.
    expect(hashMemory({ tunables: HUGE_PAGES_TUNABLE }).hugePages).toBe(true);
  });
});
