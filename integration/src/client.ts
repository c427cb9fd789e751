/**
 * The test client of the whole stack, shared by the cross-service tests (integration/) and
 * the fault-injection suite (chaos/): a user of the API through the gateway that keeps its
 * session cookie like a browser.
 */
import { sleep } from '@ticketing/common/testing';

// The one polling pause of every suite; chaos/ takes it from here (chaos/src/api.ts).
export { sleep };

export interface ApiResponse {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Set when the request never got an answer (connection refused, timeout): status 0. */
  error?: string;
  ms: number;
}

/** Never throws on a failed request: a dead service is an answer too (status 0 with `error`). */
export class ApiUser {
  cookie = '';
  id = '';
  constructor(
    private readonly base: string,
    readonly email: string,
    readonly password = 'correct horse battery',
  ) {}

  async call(method: string, path: string, body?: unknown, timeoutMs = 15_000): Promise<ApiResponse> {
    const t0 = Date.now();
    try {
      const res = await fetch(`${this.base}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...(this.cookie && { cookie: this.cookie }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('session='));
      if (setCookie) this.cookie = setCookie.split(';')[0];
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        /* not JSON (a proxy's error page) */
      }
      return { status: res.status, body: parsed, ms: Date.now() - t0 };
    } catch (err) {
      return { status: 0, body: undefined, error: (err as Error).message, ms: Date.now() - t0 };
    }
  }

  /**
   * Signs up; when auth sheds the request (503 while its hashing capacity is taken, as it
   * must when many sign up at once; 429 past the per-IP limit), waits and tries again.
   */
  async signup(): Promise<this> {
    const deadline = Date.now() + 60_000;
    let res = await this.call('POST', '/api/users/signup', { email: this.email, password: this.password });
    while ((res.status === 503 || res.status === 429) && Date.now() < deadline) {
      await sleep(250 + Math.random() * 750);
      res = await this.call('POST', '/api/users/signup', { email: this.email, password: this.password });
    }
    if (res.status !== 201) throw new Error(`signup ${this.email}: ${res.status} ${JSON.stringify(res.body)}`);
    this.id = res.body.id;
    return this;
  }
}

/** Polls until `fn` returns a value (not undefined); events take a moment to travel. */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms: ${what}${last ? ` (last error: ${(last as Error).message ?? last})` : ''}`);
    }
    await sleep(everyMs);
  }
}
