import { spawn, ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nats, { Stan } from 'node-nats-streaming';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { SERVERS, natsSyncArgs } = require('../../../scripts/stack/servers');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { freePort, tcpOpen } = require('../../../scripts/stack/processes');

// The stack's NATS Streaming writes each message to its file before acknowledging the
// publish and fsyncs once a second (scripts/stack/servers.js, DESIGN.md §6). What that
// promises is tested on the real server with the stack's own arguments: a kill -9 right
// after the acknowledgements loses none of them; a restart on the same files delivers all.
jest.setTimeout(60_000);

const MESSAGES = 300;
let dataDir: string;
let ports: { port: number; monitor: number };
let server: ChildProcess | undefined;
const open: Stan[] = [];

function start(): ChildProcess {
  const args: string[] = SERVERS.nats.args({ ports, dataDir });
  const child = spawn(SERVERS.nats.command, args, { stdio: 'ignore' });
  return child;
}

async function untilOpen(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await tcpOpen(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nats-streaming-server never listened on ${port}`);
}

function connect(): Promise<Stan> {
  return new Promise((resolve, reject) => {
    const sc = nats.connect('ticketing', `durability-${Math.random().toString(36).slice(2)}`, {
      url: `nats://127.0.0.1:${ports.port}`,
      connectTimeout: 5_000,
    });
    sc.once('connect', () => {
      open.push(sc);
      resolve(sc);
    });
    sc.once('error', reject);
  });
}

const publish = (sc: Stan, subject: string, data: string) =>
  new Promise<void>((resolve, reject) => sc.publish(subject, data, (err) => (err ? reject(err) : resolve())));

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nats-durability-'));
  ports = { port: await freePort(), monitor: await freePort() };
});

afterAll(async () => {
  // Closed while the restarted server runs (the publisher's session is in its files too).
  await Promise.all(
    open.map(
      (sc) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 3_000);
          sc.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
          sc.once('error', () => undefined);
          try {
            sc.close();
          } catch {
            clearTimeout(timer);
            resolve();
          }
        }),
    ),
  );
  server?.kill('SIGKILL');
  fs.rmSync(dataDir, { recursive: true, force: true });
});

it('when nothing is set, then the stack fsyncs the store every second, not at every flush; NATS_FILE_SYNC=true restores it', () => {
  expect(natsSyncArgs({})).toEqual(['--file_sync=false', '--file_auto_sync=1s']);
  expect(natsSyncArgs({ NATS_FILE_SYNC: 'true' })).toEqual(['--file_sync=true']);
  expect(() => natsSyncArgs({ NATS_FILE_SYNC: 'yes' })).toThrow(/NATS_FILE_SYNC must be true or false/);
  expect(SERVERS.nats.args({ ports: { port: 1, monitor: 2 }, dataDir: '/d' })).toEqual(
    expect.arrayContaining(['-store', 'file', '--file_sync=false', '--file_auto_sync=1s']),
  );
});

it('when the server is killed -9 right after acknowledging publishes, then a restart on its files delivers every one', async () => {
  server = start();
  await untilOpen(ports.port);
  const publisher = await connect();
  const sent: string[] = [];
  // In parallel, as the services' relays publish; every promise is an acknowledgement.
  for (let batch = 0; batch < MESSAGES / 50; batch++) {
    const chunk = Array.from({ length: 50 }, (_, i) => `m-${batch * 50 + i}`);
    await Promise.all(chunk.map((m) => publish(publisher, 'durability.test', m)));
    sent.push(...chunk);
  }
  const killed = server;
  const exited = new Promise((r) => killed.once('exit', r));
  killed.kill('SIGKILL');
  await exited;

  server = start();
  await untilOpen(ports.port);
  const reader = await connect();
  const got = new Set<string>();
  await new Promise<void>((resolve, reject) => {
    const opts = reader.subscriptionOptions().setDeliverAllAvailable();
    const sub = reader.subscribe('durability.test', opts);
    const timer = setTimeout(() => reject(new Error(`only ${got.size} of ${MESSAGES} messages after the restart`)), 20_000);
    sub.on('message', (msg: nats.Message) => {
      got.add(String(msg.getData()));
      if (got.size === MESSAGES) {
        clearTimeout(timer);
        resolve();
      }
    });
    sub.on('error', reject);
  });
  expect([...got].sort()).toEqual([...sent].sort());
});
