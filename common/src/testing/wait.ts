import { randomBytes } from 'node:crypto';

/** Falsy answers of a `waitFor` check: not yet. */
type NotYet = false | 0 | '' | null | undefined;

/**
 * Polls `check` until it answers something truthy and returns that answer (`true`, or the
 * value a probe found); events and jobs take a moment to arrive. Throws after `timeoutMs`,
 * naming `what` it waited for. The one polling helper of every test suite.
 */
export async function waitFor<T>(
  check: () => T | PromiseLike<T>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<Exclude<T, NotYet>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await check();
    if (answer) return answer as Exclude<T, NotYet>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A name no other test (or test run on a shared server) uses. */
export const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;
