import { randomBytes } from 'node:crypto';
import nats from 'node-nats-streaming';
import pino from 'pino';
import { Listener, MessageContext, NatsBus, Publisher, Subjects, TicketCreatedEvent } from '@ticketing/common';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const console_ = require('../../../scripts/dead-letters');

// The dead-letter console against the real NATS Streaming server of the test run: a poison
// event is dead-lettered, the data it needed is fixed, and a replay applies it once,
// with its original event id.
jest.setTimeout(60_000);

const conn = { url: process.env.NATS_URL ?? 'nats://127.0.0.1:4223', clusterId: process.env.NATS_CLUSTER_ID ?? 'ticketing' };
const logger = pino({ level: 'silent' });
const tag = `dlq-${randomBytes(4).toString('hex')}`;
const sellers = new Set<string>(); // the "data" the handler needs
const applied = new Map<string, number>(); // event id → times its effect was stored

class TicketCreatedPublisher extends Publisher<TicketCreatedEvent> {
  readonly subject = Subjects.TicketCreated;
}

class ReplicaListener extends Listener<TicketCreatedEvent> {
  readonly subject = Subjects.TicketCreated;
  readonly queueGroupName = `${tag}-replica`;
  override retryDelayMs = 20;
  override maxRetryDelayMs = 50;
  async onMessage(data: TicketCreatedEvent['data'], ctx: MessageContext) {
    if (!data.title.startsWith(tag)) return;
    if (!sellers.has(data.userId)) throw new Error(`unknown seller ${data.userId}`);
    // Idempotent like every listener of ours: an event id is applied once.
    if (applied.has(ctx.eventId)) return;
    applied.set(ctx.eventId, 1);
  }
}

let bus: NatsBus;
let listener: ReplicaListener;
beforeAll(async () => {
  bus = await NatsBus.connect({ ...conn, clientId: `${tag}-bus`, logger });
  listener = new ReplicaListener(bus, logger).listen();
  await new Promise((r) => setTimeout(r, 300));
});
afterAll(async () => {
  await listener?.close();
  await bus?.close();
});

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 15_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

it('when a poison event is dead-lettered, the data is fixed and the letter replayed (twice), then it is applied once with its event id', async () => {
  const envelope = await new TicketCreatedPublisher(bus).publish({ id: 'x1', version: 0, title: `${tag} concert`, price: 12, userId: 'seller-1' });

  let letters: { eventId?: string; subject?: string; attempts?: number }[] = [];
  await until(async () => {
    letters = (await console_.run(['list', '--subject', 'ticket:created'], { conn, out: () => undefined })).filter(
      (l: { eventId?: string }) => l.eventId === envelope.id,
    );
    return letters.length === 1;
  }, 'the dead letter');
  expect(letters[0]).toMatchObject({ subject: 'ticket:created', eventId: envelope.id, attempts: 5 });
  expect(applied.size).toBe(0);

  const printed: string[] = [];
  const shown = await console_.run(['show', envelope.id], { conn, out: (l: string) => printed.push(l) });
  expect(shown.error).toBe('unknown seller seller-1');
  expect(JSON.parse(printed[0]).envelope.id).toBe(envelope.id);

  sellers.add('seller-1'); // the fix
  const replayed = await console_.run(['replay', envelope.id], { conn, out: () => undefined });
  expect(replayed).toEqual([expect.objectContaining({ subject: 'ticket:created', eventId: envelope.id })]);
  await until(() => applied.get(envelope.id) === 1, 'the replayed event applied');

  await console_.run(['replay', envelope.id], { conn, out: () => undefined });
  await new Promise((r) => setTimeout(r, 1_000));
  expect([...applied.entries()]).toEqual([[envelope.id, 1]]);
});

it('when the command is unknown or lacks its id, then it says how to use it and connects to nothing', async () => {
  await expect(console_.run(['purge'], { conn })).rejects.toThrow(/usage: dead-letters/);
  await expect(console_.run(['replay'], { conn })).rejects.toThrow(/usage: dead-letters/);
  expect(nats).toBeDefined();
});
