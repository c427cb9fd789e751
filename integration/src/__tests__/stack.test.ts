import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { startStack } from '../../../scripts/stack';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { goRuntimeEnv } = require('../../../scripts/stack/servers');

// The local stack's own failure handling (DESIGN.md §7): a piece that cannot start is
// named with the tail of its log, a stop is bounded however its processes behave, and
// nothing it started is left running — not even when its launcher is killed.
jest.setTimeout(180_000);

const STACK = path.resolve(__dirname, '../../../scripts/stack');

const alive = (pid: number | undefined) => {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Alive and not a zombie (an exited process its new parent has not reaped yet). */
const running = (pid: number) => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

/** Every process below `root` in the process tree, from /proc. */
const descendants = (root: number): number[] => {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      /* exited meanwhile */
    }
  }
  const found: number[] = [];
  for (let todo = [root]; todo.length; ) {
    const next = children.get(todo.pop()!) ?? [];
    found.push(...next);
    todo.push(...next);
  }
  return found;
};

const until = async (what: string, done: () => boolean, timeoutMs: number) => {
  for (const deadline = Date.now() + timeoutMs; !done(); await new Promise((r) => setTimeout(r, 100))) {
    if (Date.now() > deadline) throw new Error(`not ${what} after ${timeoutMs} ms`);
  }
};

it('when a service refuses its configuration, then the stack names it with its log and stops everything', async () => {
  const lines: string[] = [];
  let error: (Error & { handle?: { name: string } }) | undefined;
  try {
    const stack = await startStack({
      apiOnly: true,
      gatewayPort: 0,
      env: { ORDER_EXPIRATION_SECONDS: '0' },
      log: (l) => lines.push(l),
    });
    await stack.stop();
  } catch (err) {
    error = err as Error & { handle?: { name: string } };
  }
  expect(error).toBeDefined();
  expect(error!.message).toMatch(/^orders exited \(1\) before ready/);
  expect(error!.message).toMatch(/ORDER_EXPIRATION_SECONDS must be at least 1/);
  expect(lines).toContain('starting services');
});

/** One variable of a running process's environment, from /proc. */
const environ = (pid: number, name: string) =>
  fs
    .readFileSync(`/proc/${pid}/environ`, 'utf8')
    .split('\0')
    .find((kv) => kv.startsWith(`${name}=`))
    ?.slice(name.length + 1);

it('when GOMAXPROCS is not set, then the Go servers get one scheduler thread; a set value is kept, a bad one refused', () => {
  expect(goRuntimeEnv({})).toEqual({ GOMAXPROCS: '1' });
  expect(goRuntimeEnv({ GOMAXPROCS: '2' })).toEqual({ GOMAXPROCS: '2' });
  expect(() => goRuntimeEnv({ GOMAXPROCS: 'all' })).toThrow(/GOMAXPROCS must be a positive integer/);
  expect(() => goRuntimeEnv({ GOMAXPROCS: '0' })).toThrow(/GOMAXPROCS must be a positive integer/);
});

it('when the stack is stopped, then no process it started is left (and while it ran, its Go servers had GOMAXPROCS=1)', async () => {
  const saved = process.env.GOMAXPROCS;
  delete process.env.GOMAXPROCS;
  let stack;
  try {
    stack = await startStack({ apiOnly: true, gatewayPort: 0, log: () => undefined });
  } finally {
    if (saved !== undefined) process.env.GOMAXPROCS = saved;
  }
  const pids = stack.handles.map((h) => h.child.pid);
  expect(pids.filter(alive).length).toBe(stack.handles.length);
  const goServers = stack.handles.filter((h) => /-db$|^nats-streaming$|^stripe-mock$/.test(h.name));
  expect(goServers.map((h) => h.name).sort()).toEqual(['auth-db', 'nats-streaming', 'orders-db', 'payments-db', 'stripe-mock', 'tickets-db']);
  for (const h of goServers) expect([h.name, environ(h.child.pid!, 'GOMAXPROCS')]).toEqual([h.name, '1']);
  for (const h of stack.handles.filter((x) => ['orders', 'payments'].includes(x.name))) {
    expect([h.name, environ(h.child.pid!, 'GOMAXPROCS')]).toEqual([h.name, undefined]);
  }
  await stack.stop();
  await new Promise((r) => setTimeout(r, 1_500)); // zombies are reaped by then
  expect(stack.handles.filter((h) => h.running).map((h) => h.name)).toEqual([]);
  expect(pids.filter(alive)).toEqual([]);
});

it('when services hang on SIGTERM while requests are in flight, then the stop kills them after one grace, all at once', async () => {
  const graceMs = 3_000;
  const stack = await startStack({ apiOnly: true, gatewayPort: 0, stopGraceMs: graceMs, log: () => undefined });
  const hung = ['tickets', 'orders', 'payments'].map((name) => stack.handles.find((h) => h.name === name)!);
  const others = stack.handles.filter((h) => ['auth', 'expiration'].includes(h.name));

  // Twenty clients in a loop through the gateway, each until its first failed request.
  let answered = 0;
  let loading = true;
  const clients = Array.from({ length: 20 }, async () => {
    while (loading) {
      try {
        await (await fetch(`${stack.url}/api/tickets`, { signal: AbortSignal.timeout(30_000) })).arrayBuffer();
        answered += 1;
      } catch {
        return;
      }
    }
  });
  await until('under load', () => answered >= 100, 30_000);
  // Stopped behind their handles' backs (SIGSTOP): they cannot act on SIGTERM, like a
  // service stuck in a loop, and their requests in flight never finish.
  for (const h of hung) process.kill(h.pid, 'SIGSTOP');

  const t0 = Date.now();
  await stack.stop();
  const took = Date.now() - t0;
  loading = false;
  await Promise.all(clients);

  expect(hung.map((h) => h.exitCode)).toEqual(['SIGKILL', 'SIGKILL', 'SIGKILL']);
  expect(others.map((h) => h.exitCode)).toEqual([0, 0]); // they stopped gracefully
  // One after another, the three would take three graces.
  expect(took).toBeGreaterThanOrEqual(graceMs);
  expect(took).toBeLessThan(2 * graceMs);
  expect(stack.handles.map((h) => h.pid).filter(running)).toEqual([]);
});

it('when the launcher is killed with SIGKILL, then no process it started is left', async () => {
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stack-killed-'));
  const script = `require(${JSON.stringify(STACK)})
    .startStack({ apiOnly: true, gatewayPort: 0, runDir: process.argv[1], log: () => undefined })
    .then((s) => console.log(JSON.stringify(s.handles.map((h) => h.pid))), (e) => { console.error(e); process.exit(1); });`;
  const launcher = spawn(process.execPath, ['-e', script, runDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const firstLine = await new Promise<string>((resolve, reject) => {
      readline.createInterface({ input: launcher.stdout! }).once('line', resolve);
      launcher.once('exit', (code) => reject(new Error(`the launcher exited (${code}) before the stack was up`)));
    });
    const handlePids: number[] = JSON.parse(firstLine);
    const tree = descendants(launcher.pid!);
    expect(handlePids).toHaveLength(12); // 4 FerretDB, NATS, stripe-mock, Redis, 5 services
    expect(tree).toEqual(expect.arrayContaining(handlePids));
    expect(tree.filter(running)).toEqual(tree);

    launcher.kill('SIGKILL');
    await until('all gone', () => tree.filter(running).length === 0, 5_000).catch(() => undefined);
    expect(tree.filter(running)).toEqual([]);
  } finally {
    launcher.kill('SIGKILL');
    fs.rmSync(runDir, { recursive: true, force: true });
  }
});
