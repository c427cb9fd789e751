import fs from 'node:fs';

/** The glibc tunable that puts malloc's large blocks (scrypt's 32 MiB) in transparent huge pages. */
export const HUGE_PAGES_TUNABLE = 'glibc.malloc.hugetlb=1';

export interface HashMemory {
  /** True when scrypt's block should land in transparent huge pages in this process. */
  hugePages: boolean;
  /** Why (or why not), for the start-up log line. */
  reason: string;
}

/** The selected mode of /sys/kernel/mm/transparent_hugepage/enabled ("always [madvise] never"). */
export function transparentHugePagesMode(text: string): string | undefined {
  return /\[(\w+)\]/.exec(text)?.[1];
}

/**
 * Whether this process hashes in huge pages. Each scrypt (N=2^15, r=8) allocates a 32 MiB
 * block; in 4 KiB pages that is 8,192 page faults and as many zeroed pages per hash, and
 * TLB misses on every random read of the block. In 2 MiB pages the same hash costs about a
 * third less CPU (0.26 → 0.19 s on the bench's machine, bench/README.md stop 26), so the
 * same cores sign in about 40 % more users. glibc reads `GLIBC_TUNABLES` only when the
 * process starts, so the setting belongs to the process's environment (the stack, the
 * Deployment), and this only reports it.
 *
 * - THP `always`: the kernel backs large mappings with huge pages anyway;
 * - THP `madvise`: only with the tunable (malloc then asks for them, madvise(MADV_HUGEPAGE));
 * - THP `never`, no glibc (musl, another OS): never.
 */
export function hashMemory(
  opts: { tunables?: string; glibc?: string; thpFile?: string } = {},
): HashMemory {
  const tunables = opts.tunables ?? process.env.GLIBC_TUNABLES ?? '';
  const glibc =
    opts.glibc ?? (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header?.glibcVersionRuntime;
  let mode: string | undefined;
  try {
    mode = transparentHugePagesMode(fs.readFileSync(opts.thpFile ?? '/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'));
  } catch {
    mode = undefined;
  }
  if (!mode) return { hugePages: false, reason: 'no transparent huge pages on this system' };
  if (mode === 'never') return { hugePages: false, reason: 'transparent huge pages are off (never)' };
  if (mode === 'always') return { hugePages: true, reason: 'transparent huge pages: always' };
  if (!glibc) return { hugePages: false, reason: `transparent huge pages: ${mode}, and this C library is not glibc` };
  const asked = tunables.split(':').map((t) => t.trim()).includes(HUGE_PAGES_TUNABLE);
  return asked
    ? { hugePages: true, reason: `transparent huge pages: ${mode}, GLIBC_TUNABLES=${tunables}` }
    : { hugePages: false, reason: `transparent huge pages: ${mode}, but GLIBC_TUNABLES lacks ${HUGE_PAGES_TUNABLE}` };
}
