/** A user of the API through the gateway: keeps its session cookie like a browser. */
export class ApiUser {
  cookie = '';
  id = '';
  constructor(
    private readonly base: string,
    readonly email: string,
    readonly password = 'correct horse battery',
  ) {}

  async call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(this.cookie && { cookie: this.cookie }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('session='));
    if (setCookie) this.cookie = setCookie.split(';')[0];
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  /**
   * Signs up; when auth sheds the request because its hashing capacity is taken (503 with
   * Retry-After, as it must when many sign up at once), waits as told and tries again.
   */
  async signup(): Promise<this> {
    let res = await this.call('POST', '/api/users/signup', { email: this.email, password: this.password });
    for (let tries = 1; res.status === 503 && tries < 30; tries++) {
      await new Promise((r) => setTimeout(r, 250 + Math.random() * 750));
      res = await this.call('POST', '/api/users/signup', { email: this.email, password: this.password });
    }
    if (res.status !== 201) throw new Error(`signup ${this.email}: ${res.status} ${JSON.stringify(res.body)}`);
    this.id = res.body.id;
    return this;
  }
}

/** Polls until `fn` returns a value (not undefined); events take a moment to travel. */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out: ${what}${last ? ` (last error: ${last})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
