import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { Listener, MessageContext, NatsBus, Publisher, Subjects, TicketCreatedEvent } from '../index';
import type { EventBus } from '../bus/event-bus';
import { captureLogger, waitFor } from '../testing';

// A private nats-streaming-server with a file store, killed and restarted under a
// connected listener: the bus reconnects by itself and the durable subscription resumes.
jest.setTimeout(60_000);

const BIN = path.resolve(__dirname, '../../../tools/bin/nats-streaming-server');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stan-restart-'));
let port = 0;
let server: ChildProcess | undefined;

// Below the ephemeral range, so no outgoing connection takes the port while the server is down.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { freePort } = require('../../../scripts/stack/processes') as { freePort: () => Promise<number> };

async function startServer() {
  server = spawn(BIN, ['-a', '127.0.0.1', '-p', String(port), '-cid', 'ticketing', '-store', 'file', '-dir', dir], {
    stdio: 'ignore',
  });
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      }),
    10_000,
    'nats-streaming-server to listen',
  );
}

async function stopServer() {
  const s = server;
  server = undefined;
  if (!s || s.exitCode !== null) return;
  await new Promise((r) => {
    s.once('exit', r);
    s.kill('SIGKILL');
  });
}

class TicketCreatedPublisher extends Publisher<TicketCreatedEvent> {
  readonly subject = Subjects.TicketCreated;
}

class Recorder extends Listener<TicketCreatedEvent> {
  readonly subject = Subjects.TicketCreated;
  readonly queueGroupName = 'restart-test';
  readonly seen: string[] = [];
  constructor(bus: EventBus, logger: Logger) {
    super(bus, logger);
  }
  async onMessage(data: TicketCreatedEvent['data'], _ctx: MessageContext) {
    this.seen.push(data.id);
  }
}

beforeAll(async () => {
  port = await freePort();
  await startServer();
});

let cleanup: (() => Promise<void>) | undefined;

afterAll(async () => {
  await cleanup?.();
  await stopServer();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('when the streaming server is killed and comes back, then the bus reconnects and the durable listener resumes', async () => {
  const { logger, lines } = captureLogger();
  const opts = { url: `nats://127.0.0.1:${port}`, clusterId: 'ticketing', logger, pingIntervalMs: 500, maxPingOut: 2 };
  const bus = await NatsBus.connect({ ...opts, clientId: 'restart-listener' });
  const listener = new Recorder(bus, logger).listen();
  // A failing assertion must not leave the bus reconnecting forever.
  cleanup = async () => {
    await listener.close();
    await bus.close();
  };
  const ticket = (id: string) => ({ id, version: 0, title: 'T', price: 1, userId: 'u' });
  const publisher = new TicketCreatedPublisher(bus);
  await publisher.publish(ticket('before'));
  await waitFor(() => listener.seen.includes('before'), 5_000, 'the first event');

  await stopServer();
  await waitFor(() => !bus.connected, 10_000, 'the bus to notice the loss');
  await expect(publisher.publish(ticket('while-down'))).rejects.toThrow();

  await startServer();
  await waitFor(() => bus.connected, 30_000, 'the bus to reconnect');
  await publisher.publish(ticket('after'));
  await waitFor(() => listener.seen.includes('after'), 10_000, 'the event after the restart');

  // At least once: a server killed before it stored the ack of 'before' delivers it
  // again, which is why every handler is idempotent.
  expect(listener.seen).toContain('before');
  expect(listener.seen.filter((id) => id === 'after')).toHaveLength(1);
  expect(lines.some((l) => l.msg === 'lost NATS Streaming, reconnecting')).toBe(true);
});
