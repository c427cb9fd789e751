import { spawn, ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nats, { Stan } from 'node-nats-streaming';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { writeNatsAuthConfig } = require('../../../scripts/stack/nats-auth');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { freePort, tcpOpen } = require('../../../scripts/stack/processes');

// Events can only come from their owner: the real nats-streaming-server, configured from
// infra/nats/permissions.json exactly as the local stack configures it, refuses a client
// without a user, and a service publishing a subject that is not its own.
jest.setTimeout(30_000);

let server: ChildProcess;
let port: number;
let users: Record<string, { user: string; password: string }>;
const open: Stan[] = [];
/** Errors each connection reported. */
const serverErrors = new Map<Stan, string[]>();

beforeAll(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nats-perm-'));
  const cfg = writeNatsAuthConfig(dir);
  users = cfg.users;
  port = await freePort();
  const monitor = await freePort();
  const bin = path.resolve(__dirname, '../../../tools/bin/nats-streaming-server');
  server = spawn(bin, ['-c', cfg.file, '-a', '127.0.0.1', '-p', String(port), '-m', String(monitor), '-store', 'memory'], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !(await tcpOpen(port)); i++) await new Promise((r) => setTimeout(r, 100));
});

afterAll(async () => {
  for (const sc of open) sc.close();
  server?.kill('SIGKILL');
});

function connect(creds?: { user: string; password: string }): Promise<Stan> {
  return new Promise((resolve, reject) => {
    const sc = nats.connect('ticketing', `perm-${Math.random().toString(36).slice(2)}`, {
      url: `nats://127.0.0.1:${port}`,
      connectTimeout: 3_000,
      ...(creds && { user: creds.user, pass: creds.password }),
    } as nats.StanOptions);
    const errors: string[] = [];
    sc.on('error', (err: Error) => errors.push(err.message));
    sc.once('connect', () => {
      open.push(sc);
      serverErrors.set(sc, errors);
      resolve(sc);
    });
    sc.once('error', (err: Error) => {
      if (serverErrors.has(sc)) return;
      try {
        sc.close();
      } catch {
        /* never connected */
      }
      reject(err);
    });
  });
}

/** 'stored' when the server acknowledged the publish, else what went wrong. */
function publish(sc: Stan, subject: string, payload = '{}'): Promise<string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('no ack'), 1_500);
    sc.publish(subject, payload, (err) => {
      clearTimeout(timer);
      resolve(err ? `error: ${err.message}` : 'stored');
    });
  });
}

it('when a client connects without credentials, then the server refuses it', async () => {
  await expect(connect()).rejects.toThrow(/Authorization Violation/);
});

it('when a client has a wrong password, then the server refuses it', async () => {
  await expect(connect({ user: 'payments', password: 'guess' })).rejects.toThrow(/Authorization Violation/);
});

it('when tickets publishes payment:created (forging a payment), then the server never stores it', async () => {
  const tickets = await connect(users.tickets);
  const marker = `forged-${Date.now()}`;
  expect(await publish(tickets, 'payment:created', JSON.stringify({ marker }))).not.toBe('stored');
  // What orders would read: nothing with the forger's marker is in the channel.
  const reader = await connect(users.orders);
  const seen: string[] = [];
  const sub = reader.subscribe('payment:created', reader.subscriptionOptions().setDeliverAllAvailable());
  sub.on('message', (m) => seen.push(String(m.getData())));
  await new Promise((r) => setTimeout(r, 500));
  sub.unsubscribe();
  expect(seen.some((d) => d.includes(marker))).toBe(false);
});

it('when each service publishes its own subjects and dead letters, then they are stored', async () => {
  const own: Record<string, string[]> = {
    tickets: ['ticket:created', 'ticket:updated'],
    orders: ['order:created', 'order:cancelled'],
    payments: ['payment:created', 'payment:started', 'payment:failed', 'payment:refunded'],
    expiration: ['expiration:complete'],
  };
  for (const [service, subjects] of Object.entries(own)) {
    const sc = await connect(users[service]);
    for (const subject of [...subjects, 'dead-letter']) expect(`${service} ${subject} ${await publish(sc, subject)}`).toBe(`${service} ${subject} stored`);
  }
});

it('when orders publishes payment:created, then the server refuses it (only payments may)', async () => {
  const orders = await connect(users.orders);
  expect(await publish(orders, 'payment:created')).not.toBe('stored');
});
