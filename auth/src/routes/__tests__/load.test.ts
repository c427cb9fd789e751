import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import request from 'supertest';
import { User } from '../../models/user';
import { HashGate } from '../../services/hash-gate';
import { DEFAULT_SCRYPT_PARAMS } from '../../services/password';
import { sessionCookie, signin, signup, testApp } from '../../test/helpers';

/**
 * Bursts against one listening server, at the production scrypt cost: with the cheap test
 * cost a hash is over before the next request arrives, and no cap is ever reached.
 */
let server: Server | undefined;
function listen(app: ReturnType<typeof testApp>['app']): string {
  server = app.listen(0);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
afterEach(async () => {
  jest.restoreAllMocks();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

async function timed<T>(work: () => PromiseLike<T>): Promise<{ res: T; ms: number }> {
  const started = performance.now();
  const res = await work();
  return { res, ms: performance.now() - started };
}

interface StormResult {
  status: number;
  retryAfter: string | null;
  email?: string;
}

/** Sends every sign-up at once from a child process; `started` once they are on their way. */
function stormFromChild(url: string, signups: { email: string; ip: string }[]) {
  const script = `
    const [url, signups] = JSON.parse(process.argv[1]);
    process.stdout.write('started\\n');
    Promise.all(signups.map(async ({ email, ip }) => {
      const res = await fetch(url + '/api/users/signup', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
        body: JSON.stringify({ email, password: 'password123' }),
      });
      const body = await res.json();
      return { status: res.status, retryAfter: res.headers.get('retry-after'), email: body.email };
    })).then((results) => process.stdout.write(JSON.stringify(results) + '\\n'));
  `;
  const child = spawn(process.execPath, ['-e', script, JSON.stringify([url, signups])], { stdio: ['ignore', 'pipe', 'inherit'] });
  const state = { started: false, over: false, results: undefined as unknown as Promise<StormResult[]> };
  let out = '';
  state.results = new Promise<StormResult[]>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.startsWith('started\n')) state.started = true;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      state.over = true;
      const last = out.trim().split('\n').pop() ?? '';
      if (code === 0 && last.startsWith('[')) resolve(JSON.parse(last));
      else reject(new Error(`storm client exited with ${code}: ${out}`));
    });
  });
  return state;
}

/** Counts the scrypt calls running at the same time (they run on libuv's thread pool). */
function watchScrypt() {
  const real = crypto.scrypt;
  const watch = { inFlight: 0, peak: 0, calls: 0 };
  jest.spyOn(crypto, 'scrypt').mockImplementation(((...args: unknown[]) => {
    const done = args.pop() as (err: Error | null, key: Buffer) => void;
    watch.calls++;
    watch.peak = Math.max(watch.peak, ++watch.inFlight);
    (real as (...a: unknown[]) => void)(...args, (err: Error | null, key: Buffer) => {
      watch.inFlight--;
      done(err, key);
    });
  }) as typeof crypto.scrypt);
  return watch;
}

describe('auth under a burst (production scrypt cost)', () => {
  it('when 60 anonymous sign-ups arrive at once, then the excess gets 429/503 with Retry-After, no other 5xx, and a signed-in user is answered within 1 s throughout', async () => {
    const gate = new HashGate({ concurrency: 2, queue: 2 });
    const { app } = testApp({
      scryptParams: DEFAULT_SCRYPT_PARAMS,
      hashGate: gate,
      // Two clients, two sign-ups each: whatever gets past the capacity check meets this limit.
      signupLimits: { maxPerIp: 2, windowSeconds: 3600 },
    });
    const url = listen(app);
    const me = await signup(url, 'me@test.com', 'password123', '192.0.2.250').expect(201);
    const cookie = sessionCookie(me);
    const scrypt = watchScrypt();

    // The storm comes from another process, as it would from other machines: this one only
    // serves it, and asks for the current user meanwhile.
    const storm = stormFromChild(
      url,
      Array.from({ length: 60 }, (_, i) => ({ email: `storm${i}@test.com`, ip: `198.51.100.${i % 2}` })),
    );
    const latencies: number[] = [];
    while (!storm.over) {
      const { res, ms } = await timed(() => request(url).get('/api/users/currentuser').set('Cookie', cookie));
      expect(res.body.currentUser).toMatchObject({ id: me.body.id, email: 'me@test.com' });
      if (storm.started && !storm.over) latencies.push(ms);
      await new Promise((r) => setTimeout(r, 25));
    }
    const results = await storm.results;

    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => ![201, 429, 503].includes(s))).toEqual([]);
    const refused = results.filter((r) => r.status === 429 || r.status === 503);
    // 2 clients x 2 sign-ups: everything else is refused, one way or the other.
    expect(refused.length).toBeGreaterThanOrEqual(56);
    for (const r of refused) expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
    const created = results.filter((r) => r.status === 201).map((r) => r.email).sort();
    expect(created.length).toBeGreaterThan(0);
    const stored = (await User.find({ email: /^storm/ }).lean()).map((u) => u.email).sort();
    expect(stored).toEqual(created);
    expect(scrypt.peak).toBeLessThanOrEqual(2);
    expect(scrypt.calls).toBe(created.length);
    expect(latencies.length).toBeGreaterThan(0);
    expect(Math.max(...latencies)).toBeLessThan(1_000);
  }, 60_000);

  it('when more sign-ins arrive at once than there are hashing slots, then the excess gets 503 with Retry-After at once and no more than the cap hash at a time', async () => {
    const gate = new HashGate({ concurrency: 2, queue: 1 });
    const { app } = testApp({ scryptParams: DEFAULT_SCRYPT_PARAMS, hashGate: gate });
    const url = listen(app);
    await signup(url, 'me@test.com').expect(201);
    const scrypt = watchScrypt();

    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => timed(() => signin(url, 'me@test.com', 'password123', `198.51.100.${i}`))),
    );

    const shed = results.filter((r) => r.res.status === 503);
    const served = results.filter((r) => r.res.status === 200);
    expect(shed.length + served.length).toBe(10);
    expect(shed.length).toBeGreaterThan(0);
    expect(served.length).toBeGreaterThanOrEqual(2);
    for (const { res, ms } of shed) {
      expect(res.headers['retry-after']).toBe('1');
      expect(res.body).toEqual({ errors: [{ message: 'Too busy right now, try again shortly' }] });
      // Refused on arrival: sooner than any sign-in that hashed, and well under a second.
      expect(ms).toBeLessThan(Math.min(...served.map((s) => s.ms)));
      expect(ms).toBeLessThan(1_000);
    }
    expect(scrypt.peak).toBeLessThanOrEqual(2);
    expect(scrypt.calls).toBe(served.length);
  }, 60_000);
});
