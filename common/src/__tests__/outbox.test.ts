import { spawn } from 'node:child_process';
import mongoose, { Schema } from 'mongoose';
import { OutboxRelay, Publisher, Subjects, TicketCreatedEvent, outboxPlugin } from '../index';
import { captureLogger, useTestDatabase } from '../testing';
import { closeAllBuses, connectBus, sleep, unique, waitFor } from './helpers';

// Real MongoDB-protocol server (MONGO_URI: FerretDB behind its gate) and real NATS Streaming.
jest.setTimeout(30_000);
useTestDatabase();

const thingSchema = new Schema({ title: String });
thingSchema.plugin(outboxPlugin);
const Thing = mongoose.model('OutboxThing', thingSchema);

class TicketCreatedPublisher extends Publisher<TicketCreatedEvent> {
  readonly subject = Subjects.TicketCreated;
}

async function collect(tag: string) {
  const bus = await connectBus('collector');
  const got: { id: string; title: string }[] = [];
  bus.subscribe({ subject: Subjects.TicketCreated, queueGroup: unique('collect'), ackWaitMs: 5_000, maxInFlight: 100 }, (d) => {
    const env = JSON.parse(d.raw);
    if (String(env.data.title).startsWith(tag)) got.push({ id: env.id, title: env.data.title });
    d.ack();
  });
  await sleep(200);
  return got;
}

afterEach(closeAllBuses);

/** A started relay past its start-up sweep, a collector of the events tagged `prefix`, and entries to store. */
async function runningRelay(prefix: string) {
  const tag = unique(prefix);
  const got = await collect(tag);
  const relay = new OutboxRelay(await connectBus('relay'), [Thing], captureLogger().logger, { pollIntervalMs: 600_000 }).start();
  await sleep(300);
  const publisher = new TicketCreatedPublisher();
  const entry = (n: number) => publisher.toOutbox({ id: `t${n}`, version: 0, title: `${tag} ${n}`, price: 5, userId: 'u' });
  return { tag, got, relay, entry };
}

it('when a process died after writing its events, then the relay publishes them in order and clears them', async () => {
  const tag = unique('left');
  const got = await collect(tag);
  const publisher = new TicketCreatedPublisher();
  const entries = [1, 2, 3].map((n) => publisher.toOutbox({ id: `t${n}`, version: n - 1, title: `${tag} ${n}`, price: 5, userId: 'u' }));
  // Written straight to the collection: the writer is gone before any relay saw it.
  const { insertedId } = await Thing.collection.insertOne({ title: 'x', outbox: entries });

  const relay = new OutboxRelay(await connectBus('relay'), [Thing], captureLogger().logger, { pollIntervalMs: 200 }).start();
  await waitFor(() => got.length === 3, 10_000, 'the pending events');
  await relay.stop();

  expect(got.map((g) => g.id)).toEqual(entries.map((e) => e.id));
  const stored = await Thing.collection.findOne({ _id: insertedId });
  expect(stored!.outbox).toEqual([]);
});

it('when a model with pending events is saved, then the relay sends them at once, without waiting for the sweep', async () => {
  const tag = unique('kick');
  const got = await collect(tag);
  const relay = new OutboxRelay(await connectBus('relay'), [Thing], captureLogger().logger, { pollIntervalMs: 60_000 }).start();
  await sleep(300); // the start-up sweep is over

  const entry = new TicketCreatedPublisher().toOutbox({ id: 't9', version: 0, title: `${tag} 9`, price: 5, userId: 'u' });
  const started = Date.now();
  await Thing.create({ title: 'y', outbox: [entry] });
  await waitFor(() => got.length === 1, 5_000, 'the event');
  expect(Date.now() - started).toBeLessThan(5_000);
  await relay.stop();
  expect(got[0].id).toBe(entry.id);
});

it('when the bus is down, then the entry stays stored and goes out once the bus is back', async () => {
  const tag = unique('retry');
  const got = await collect(tag);
  const bus = await connectBus('relay');
  let down = true;
  const flaky = {
    publishRaw: (s: string, p: string) => (down ? Promise.reject(new Error('bus down')) : bus.publishRaw(s, p)),
    subscribe: bus.subscribe.bind(bus),
  };
  const relay = new OutboxRelay(flaky, [Thing], captureLogger().logger, { pollIntervalMs: 200 }).start();
  const entry = new TicketCreatedPublisher().toOutbox({ id: 't7', version: 0, title: `${tag} 7`, price: 5, userId: 'u' });
  const doc = await Thing.create({ title: 'z', outbox: [entry] });
  await sleep(600);
  expect((await Thing.collection.findOne({ _id: doc._id }))!.outbox).toHaveLength(1);
  expect(got).toEqual([]);

  down = false;
  await waitFor(() => got.length === 1, 5_000, 'the event after recovery');
  await relay.stop();
  expect((await Thing.collection.findOne({ _id: doc._id }))!.outbox).toEqual([]);
});

it('never exposes pending events in JSON', async () => {
  const entry = new TicketCreatedPublisher().toOutbox({ id: 't1', version: 0, title: 'a', price: 5, userId: 'u' });
  const doc = await Thing.create({ title: 'j', outbox: [entry] });
  expect(doc.toJSON()).not.toHaveProperty('outbox');
});

it('when the writing process is killed (SIGKILL) before its relay ran, then a relay elsewhere publishes what it stored', async () => {
  const tag = unique('killed');
  const got = await collect(tag);
  const { host, port, name } = mongoose.connection;
  const uri = `mongodb://${host}:${port}/${name}`;
  // A writer that stores a change with its event and then hangs, never relaying: the
  // process a SIGKILL (OOM, node drained) takes down between write and publish.
  const script = `
    const mongoose = require('mongoose');
    const { outboxPlugin, Publisher } = require(${JSON.stringify(require.resolve('../../dist'))});
    class P extends Publisher { constructor() { super(); this.subject = 'ticket:created'; } }
    (async () => {
      await mongoose.connect(${JSON.stringify(uri)});
      const schema = new mongoose.Schema({ title: String });
      schema.plugin(outboxPlugin);
      const Thing = mongoose.model('OutboxThing', schema);
      const entry = new P().toOutbox({ id: 't1', version: 0, title: ${JSON.stringify(`${tag} 1`)}, price: 5, userId: 'u' });
      const doc = await Thing.create({ title: 'written before the kill', outbox: [entry] });
      process.stdout.write(JSON.stringify({ docId: doc.id, eventId: entry.id }) + '\\n');
      setInterval(() => undefined, 1000);
    })();`;
  const child = spawn(process.execPath, ['-e', script], { cwd: __dirname, stdio: ['ignore', 'pipe', 'inherit'] });
  const written = await new Promise<{ docId: string; eventId: string }>((resolve, reject) => {
    child.stdout.once('data', (b: Buffer) => resolve(JSON.parse(b.toString())));
    child.once('exit', (code) => reject(new Error(`writer exited early (${code})`)));
  });
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  expect(got).toEqual([]);
  expect((await Thing.collection.findOne({ _id: new mongoose.Types.ObjectId(written.docId) }))!.outbox).toHaveLength(1);

  const relay = new OutboxRelay(await connectBus('relay'), [Thing], captureLogger().logger, { pollIntervalMs: 200 }).start();
  await waitFor(() => got.length === 1, 10_000, 'the event the killed process left');
  await relay.stop();
  expect(got[0].id).toBe(written.eventId);
  expect((await Thing.collection.findOne({ _id: new mongoose.Types.ObjectId(written.docId) }))!.outbox).toEqual([]);
});

it('when a publish fails, then the relay retries that document by itself with backoff, without waiting for a sweep', async () => {
  const tag = unique('backoff');
  const got = await collect(tag);
  const bus = await connectBus('relay');
  let failing = 2;
  const flaky = {
    publishRaw: (s: string, p: string) => (failing-- > 0 ? Promise.reject(new Error('bus down')) : bus.publishRaw(s, p)),
    subscribe: bus.subscribe.bind(bus),
  };
  const { logger, lines } = captureLogger();
  // No sweep in this test's lifetime: only the retry can send it.
  const relay = new OutboxRelay(flaky, [Thing], logger, { pollIntervalMs: 600_000, retryDelayMs: 100 }).start();
  await sleep(300);
  failing = 2;
  const entry = new TicketCreatedPublisher().toOutbox({ id: 't8', version: 0, title: `${tag} 8`, price: 5, userId: 'u' });
  const doc = await Thing.create({ title: 'w', outbox: [entry] });
  await waitFor(() => got.length === 1, 5_000, 'the event after two failed publishes');
  await relay.stop();
  expect(got[0].id).toBe(entry.id);
  expect(lines.some((l) => l.msg === 'outbox publish failed, will retry')).toBe(true);
  await waitFor(() => true);
  expect((await Thing.collection.findOne({ _id: doc._id }))!.outbox).toEqual([]);
});

it('when an update names no outbox, then the relay reads nothing back; when it pushes one, the entry still goes out', async () => {
  const { tag, got, relay, entry } = await runningRelay('readback');
  const doc = await Thing.create({ title: 'v', outbox: [entry(1)] });
  await waitFor(() => got.length === 1, 5_000, 'the created event');

  // Every read the relay makes of a document goes through the collection's findOne.
  const reads = jest.spyOn(Thing.collection, 'findOne');
  try {
    await Thing.updateOne({ _id: doc._id }, { $set: { title: 'v2' } });
    await Thing.findOneAndUpdate({ _id: doc._id }, { $set: { title: 'v3' } }, { new: true });
    await Thing.findOneAndUpdate({ _id: doc._id }, { $set: { title: 'v4' } }, { new: true }).lean();
    // Returned whole (an empty projection), so its outbox is published as returned.
    await Thing.findOneAndUpdate({ _id: doc._id }, { $push: { outbox: entry(2) } }, { new: true });
    await waitFor(() => got.length === 2, 5_000, 'the event pushed by findOneAndUpdate');
    expect(reads).not.toHaveBeenCalled();

    // updateOne returns no document: the relay reads the outbox back, once.
    await Thing.updateOne({ _id: doc._id }, { $push: { outbox: entry(3) } });
    await waitFor(() => got.length === 3, 5_000, 'the event pushed by updateOne');
    expect(reads).toHaveBeenCalledTimes(1);
  } finally {
    reads.mockRestore();
    await relay.stop();
  }
  expect(got.map((g) => g.title)).toEqual([1, 2, 3].map((n) => `${tag} ${n}`));
  await waitFor(async () => ((await Thing.collection.findOne({ _id: doc._id }))!.outbox as unknown[]).length === 0, 5_000, 'a cleared outbox');
});

it('when many documents publish at once, then their entries are removed together, a command per collection, not one per event', async () => {
  const { got, relay, entry } = await runningRelay('batch');
  const bulks = jest.spyOn(Thing.collection, 'bulkWrite');
  const singles = jest.spyOn(Thing.collection, 'updateOne');
  try {
    const docs = await Promise.all(
      Array.from({ length: 20 }, (_, n) =>
        Thing.create({ title: 'b', outbox: [entry(n)] }),
      ),
    );
    await waitFor(() => got.length === 20, 5_000, 'the 20 events');
    const ids = docs.map((d) => d._id);
    await waitFor(async () => (await Thing.countDocuments({ _id: { $in: ids }, 'outbox.0': { $exists: true } })) === 0, 5_000, 'every outbox cleared');
    expect(singles).not.toHaveBeenCalled();
    // 20 documents published within the removal delay: a few rounds at most, not 20.
    expect(bulks.mock.calls.length).toBeGreaterThanOrEqual(1);
    expect(bulks.mock.calls.length).toBeLessThanOrEqual(4);
    expect(bulks.mock.calls.flatMap((c) => c[0] as unknown[]).length).toBe(20);
  } finally {
    bulks.mockRestore();
    singles.mockRestore();
    await relay.stop();
  }
});
