import type { Logger } from 'pino';
import { DEAD_LETTER_SUBJECT, Listener, MessageContext, Publisher, Subjects, TicketCreatedEvent, TransientError } from '../index';
import type { EventBus } from '../bus/event-bus';
import { captureLogger } from '../testing';
import { closeAllBuses, connectBus, sleep, unique, waitFor } from './helpers';

// These tests talk to a real nats-streaming-server (scripts/servers.sh starts one). The
// channel keeps every earlier message, so each test tags its events with a run id and
// its listeners count only their own.
jest.setTimeout(30_000);

class TicketCreatedPublisher extends Publisher<TicketCreatedEvent> {
  readonly subject = Subjects.TicketCreated;
}

type Handler = (data: TicketCreatedEvent['data'], ctx: MessageContext) => Promise<void>;

class TestListener extends Listener<TicketCreatedEvent> {
  readonly subject = Subjects.TicketCreated;
  override ackWaitMs = 1_000;
  constructor(
    bus: EventBus,
    logger: Logger,
    readonly queueGroupName: string,
    private readonly tag: string,
    private readonly handler: Handler,
  ) {
    super(bus, logger);
  }
  async onMessage(data: TicketCreatedEvent['data'], ctx: MessageContext) {
    if (!data.title.startsWith(this.tag)) return; // another test's event: ack and ignore
    await this.handler(data, ctx);
  }
}

const ticket = (tag: string, n: number) => ({ id: `t${n}`, version: 0, title: `${tag} #${n}`, price: 10, userId: 'u1' });

afterEach(closeAllBuses);

it('when two queue groups listen, then each message reaches exactly one member of each group', async () => {
  const tag = unique('fanout');
  const groupA = unique('group-a');
  const groupB = unique('group-b');
  const seenA: string[][] = [[], []];
  const seenB: string[] = [];
  const logger = captureLogger().logger;
  for (const i of [0, 1]) {
    new TestListener(await connectBus(), logger, groupA, tag, async (d) => void seenA[i].push(d.id)).listen();
  }
  new TestListener(await connectBus(), logger, groupB, tag, async (d) => void seenB.push(d.id)).listen();
  await sleep(300);

  const publisher = new TicketCreatedPublisher(await connectBus());
  for (let n = 0; n < 20; n++) await publisher.publish(ticket(tag, n));

  await waitFor(() => seenA[0].length + seenA[1].length >= 20 && seenB.length >= 20, 10_000, 'deliveries');
  await sleep(300);
  const allA = [...seenA[0], ...seenA[1]].sort();
  expect(allA).toHaveLength(20);
  expect(new Set(allA).size).toBe(20);
  expect(seenB).toHaveLength(20);
  expect(seenA[0].length).toBeGreaterThan(0);
  expect(seenA[1].length).toBeGreaterThan(0);
});

it('when a handler keeps throwing, then it is retried, dead-lettered after maxAttempts, and stops', async () => {
  const tag = unique('poison');
  const attempts: number[] = [];
  const { logger, lines } = captureLogger();
  const bus = await connectBus();
  const letters: Record<string, unknown>[] = [];
  bus.subscribe({ subject: DEAD_LETTER_SUBJECT, queueGroup: unique('dlq'), ackWaitMs: 5_000, maxInFlight: 100 }, (d) => {
    const letter = JSON.parse(d.raw);
    if (String(letter.raw).includes(tag)) letters.push(letter);
    d.ack();
  });
  const listener = new TestListener(bus, logger, unique('retry'), tag, async (_d, ctx) => {
    attempts.push(ctx.attempt);
    throw new Error('handler failed');
  });
  listener.maxAttempts = 3;
  listener.listen();
  await sleep(200);

  const sent = await new TicketCreatedPublisher(await connectBus()).publish(ticket(tag, 1));

  await waitFor(() => letters.length === 1, 15_000, 'the dead letter');
  expect(attempts).toEqual([1, 2, 3]);
  expect(letters[0]).toMatchObject({ subject: 'ticket:created', eventId: sent.id, attempts: 3, error: 'handler failed' });
  // Logged once the dead letter is stored (publish ack), which may follow its delivery here.
  await waitFor(() => lines.some((l) => l.msg === 'event dead-lettered' && l.eventId === sent.id), 5_000, 'the log line');

  await sleep(2_500); // two more ack waits: nothing comes back
  expect(attempts).toEqual([1, 2, 3]);
});

it('when a message is not a valid event, then it is dead-lettered at once, never handled', async () => {
  const tag = unique('malformed');
  const handled: string[] = [];
  const bus = await connectBus();
  const letters: Record<string, unknown>[] = [];
  bus.subscribe({ subject: DEAD_LETTER_SUBJECT, queueGroup: unique('dlq'), ackWaitMs: 5_000, maxInFlight: 100 }, (d) => {
    const letter = JSON.parse(d.raw);
    if (String(letter.raw).includes(tag)) letters.push(letter);
    d.ack();
  });
  new TestListener(bus, captureLogger().logger, unique('strict'), tag, async (d) => void handled.push(d.id)).listen();
  await sleep(200);

  const raw = JSON.stringify({ id: 'e1', subject: 'ticket:created', data: { id: 't1', title: `${tag} x`, price: 'free' }, meta: {} });
  await (await connectBus()).publishRaw(Subjects.TicketCreated, raw);

  await waitFor(() => letters.length === 1, 10_000, 'the dead letter');
  expect(letters[0]).toMatchObject({ attempts: 1, raw });
  expect(String(letters[0].error)).toMatch(/bad ticket:created payload/);
  expect(handled).toEqual([]);
});

it('when a durable listener was down, then on restart it gets what it missed, once', async () => {
  const tag = unique('durable');
  const group = unique('durable-group');
  const logger = captureLogger().logger;
  const first: string[] = [];
  const firstListener = new TestListener(await connectBus(), logger, group, tag, async (d) => void first.push(d.id)).listen();
  await sleep(200);
  const publisher = new TicketCreatedPublisher(await connectBus());
  await publisher.publish(ticket(tag, 1));
  await waitFor(() => first.length === 1, 5_000, 'the first event');
  await firstListener.close();

  for (const n of [2, 3, 4]) await publisher.publish(ticket(tag, n));

  const second: string[] = [];
  new TestListener(await connectBus(), logger, group, tag, async (d) => void second.push(d.id)).listen();
  await waitFor(() => second.length === 3, 10_000, 'the missed events');
  await sleep(1_500); // past one ack wait: the acked first event is not delivered again
  expect(second).toEqual(['t2', 't3', 't4']);
});

it('when a dependency is down for longer than maxAttempts tries, then the event is retried until it is back, never dead-lettered', async () => {
  const tag = unique('outage');
  const { logger, lines } = captureLogger();
  const bus = await connectBus();
  const letters: string[] = [];
  bus.subscribe({ subject: DEAD_LETTER_SUBJECT, queueGroup: unique('dlq'), ackWaitMs: 5_000, maxInFlight: 100 }, (d) => {
    if (d.raw.includes(tag)) letters.push(d.raw);
    d.ack();
  });
  let tries = 0;
  const handled: string[] = [];
  const listener = new TestListener(bus, logger, unique('outage'), tag, async (data) => {
    tries++;
    if (tries <= 8) throw new TransientError('database unreachable');
    handled.push(data.title);
  });
  listener.maxAttempts = 3;
  listener.retryDelayMs = 20;
  listener.maxRetryDelayMs = 100;
  listener.listen();
  await sleep(200);
  await new TicketCreatedPublisher(await connectBus()).publish(ticket(tag, 1));

  await waitFor(() => handled.length === 1, 15_000, 'the event, once the dependency is back');
  expect(tries).toBe(9);
  expect(letters).toEqual([]);
  expect(lines.filter((l) => l.msg === 'dependency unavailable, will retry the event')).toHaveLength(8);
});

it('when the ack throws (connection lost mid-handler), then nothing is left unhandled and the listener goes on', async () => {
  const { logger, lines } = captureLogger();
  const unhandled: unknown[] = [];
  const onUnhandled = (r: unknown) => unhandled.push(r);
  process.on('unhandledRejection', onUnhandled);
  try {
    const raw = JSON.stringify(new TicketCreatedPublisher().toOutbox(ticket('acklost', 1)).payload);
    const listener = new TestListener({ publishRaw: async () => undefined, subscribe: () => ({ close: async () => undefined }) }, logger, 'g', 'acklost', async () => undefined);
    const outcome = await listener.receive({
      raw: JSON.parse(raw),
      redeliveryCount: 0,
      sequence: 1,
      ack: () => {
        throw new TypeError("Cannot read properties of undefined (reading 'publish')");
      },
    });
    expect(outcome).toBe('acked');
    await sleep(50);
    expect(unhandled).toEqual([]);
    expect(lines.some((l) => /ack failed/.test(String(l.msg)))).toBe(true);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

it('when the server redelivers while the handler is still failing, then the attempts are counted per event, once each', async () => {
  const tag = unique('count');
  const { logger } = captureLogger();
  const bus = await connectBus();
  const attempts: number[] = [];
  const listener = new TestListener(bus, logger, unique('count'), tag, async (_d, ctx) => {
    attempts.push(ctx.attempt);
    if (attempts.length < 3) throw new Error('not yet');
  });
  listener.retryDelayMs = 600; // longer than the 1 s ackWait / 2: the server redelivers meanwhile
  listener.listen();
  await sleep(200);
  await new TicketCreatedPublisher(await connectBus()).publish(ticket(tag, 1));
  await waitFor(() => attempts.length === 3, 15_000, 'three tries');
  await sleep(1_500);
  expect(attempts).toEqual([1, 2, 3]);
});

it('when two processes follow a subject without durability, then each gets every new event, and none from before it subscribed', async () => {
  const tag = unique('follow');
  const publisher = new TicketCreatedPublisher(await connectBus());
  await publisher.publish(ticket(tag, 0)); // before anyone follows: never delivered
  const seen: string[][] = [[], []];
  for (const i of [0, 1]) {
    const l = new TestListener(await connectBus(), captureLogger().logger, 'follower', tag, async (data) => {
      seen[i].push(data.title);
    });
    l.durable = false;
    l.listen();
  }
  await sleep(300);
  for (const n of [1, 2, 3]) await publisher.publish(ticket(tag, n));
  await waitFor(() => seen[0].length === 3 && seen[1].length === 3, 10_000, 'both followers');
  await sleep(300);
  expect(seen).toEqual([[`${tag} #1`, `${tag} #2`, `${tag} #3`], [`${tag} #1`, `${tag} #2`, `${tag} #3`]]);
});

class KeyedListener extends TestListener {
  protected override orderingKey(data: TicketCreatedEvent['data']): string {
    return data.userId;
  }
}

/**
 * A listener of `kind` whose handler records when each event starts and ends (400 ms for a
 * name ending in "slow", else 20 ms) and how many ran at once, and `send` for its events.
 */
async function laneRun(kind: typeof TestListener, prefix: string) {
  const tag = unique(prefix);
  const log: string[] = [];
  let running = 0;
  let most = 0;
  const handler: Handler = async (d) => {
    running++;
    most = Math.max(most, running);
    const name = d.title.slice(tag.length + 1);
    log.push(`start ${name}`);
    await sleep(name.endsWith('slow') ? 400 : 20);
    log.push(`end ${name}`);
    running--;
  };
  new kind(await connectBus(), captureLogger().logger, unique(prefix), tag, handler).listen();
  await sleep(300);
  const publisher = new TicketCreatedPublisher(await connectBus());
  const send = (id: string, userId: string, name: string) =>
    publisher.publish({ id, version: 0, title: `${tag} ${name}`, price: 10, userId });
  return { log, send, most: () => most };
}

it('when a listener names an ordering key, then events of one key are handled in order, one at a time, while other keys go ahead', async () => {
  const t = await laneRun(KeyedListener, 'lanes');
  await t.send('t1', 'alice', 'a1 slow');
  await t.send('t2', 'alice', 'a2');
  await t.send('t3', 'bob', 'b1');

  await waitFor(() => t.log.length === 6, 10_000, 'three events handled');
  // bob's event did not wait for alice's slow one; alice's second waited for her first.
  expect(t.log.indexOf('end b1')).toBeLessThan(t.log.indexOf('end a1 slow'));
  expect(t.log.indexOf('start a2')).toBeGreaterThan(t.log.indexOf('end a1 slow'));
  expect(t.most()).toBe(2);
});

it('when a listener names no ordering key, then its events are handled strictly one at a time, in order', async () => {
  const t = await laneRun(TestListener, 'serial');
  await t.send('t1', 'alice', 'a1 slow');
  await t.send('t2', 'bob', 'b1');

  await waitFor(() => t.log.length === 4, 10_000, 'two events handled');
  expect(t.log).toEqual(['start a1 slow', 'end a1 slow', 'start b1', 'end b1']);
  expect(t.most()).toBe(1);
});

it('when a keyed event waits for its retry (a dependency down), then holds(key) is true until it is handled, and false for other keys', async () => {
  const tag = unique('holds');
  let down = true;
  const handled: string[] = [];
  const listener = new KeyedListener(await connectBus(), captureLogger().logger, unique('holds'), tag, async (d) => {
    if (down && d.userId === 'alice') throw new TransientError('database down');
    handled.push(d.userId);
  });
  listener.retryDelayMs = 50;
  listener.maxRetryDelayMs = 100;
  listener.listen();
  await sleep(300);
  const publisher = new TicketCreatedPublisher(await connectBus());
  await publisher.publish({ id: 't1', version: 0, title: `${tag} a`, price: 10, userId: 'alice' });
  await publisher.publish({ id: 't2', version: 0, title: `${tag} b`, price: 10, userId: 'bob' });

  await waitFor(() => handled.includes('bob'), 10_000, "bob's event handled");
  await sleep(300); // alice's event has failed and waits, several retries on
  expect(listener.holds('alice')).toBe(true);
  expect(listener.holds('bob')).toBe(false);
  expect(listener.holds('carol')).toBe(false);

  down = false;
  await waitFor(() => handled.includes('alice'), 10_000, "alice's event handled once the dependency is back");
  expect(listener.holds('alice')).toBe(false);
});
