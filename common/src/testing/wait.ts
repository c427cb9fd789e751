/** Polls `check` until it is true; events and jobs take a moment to arrive. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A name no other test (or test run on a shared server) uses. */
export const unique = (prefix: string) => `${prefix}-${Math.random().toString(16).slice(2, 10)}`;
