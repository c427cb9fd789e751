import { Router } from 'express';
import mongoose, { Schema } from 'mongoose';
import request from 'supertest';
import {
  applyNextVersion,
  clearKeptArrivals,
  compareAndSet,
  ConcurrentUpdateError,
  createApp,
  createReplica,
  Decision,
  keepArrivals,
  readReplica,
  ServiceUnavailableError,
} from '../index';
import { captureLogger, useTestDatabase } from '../testing';

// Against the real MongoDB-protocol server (MONGO_URI: FerretDB behind its gate).
useTestDatabase();

interface CounterAttrs {
  _id: string;
  count: number;
  version: number;
}
const Counter = mongoose.model<CounterAttrs>(
  'CasCounter',
  new Schema<CounterAttrs>({ _id: String, count: Number, version: Number }, { versionKey: false }),
);

const readCounter = (id: string) => Counter.findById(id).lean().exec();

/** The compare-and-set write under test: lands only while the counter is at the version read. */
async function writeCount(current: CounterAttrs, count: number): Promise<CounterAttrs | null> {
  return Counter.findOneAndUpdate({ _id: current._id, version: current.version }, { $set: { count }, $inc: { version: 1 } }, { new: true })
    .lean()
    .exec();
}

/** Counts one more, by compare-and-set; `beforeWrite` runs between the read and the write of every round. */
function increment(
  id: string,
  opts: { attempts?: number; beforeWrite?: () => Promise<unknown>; optimistic?: () => Promise<CounterAttrs | null> } = {},
) {
  const reads: number[] = [];
  const outcome = compareAndSet({
    documentName: 'Counter',
    id,
    attempts: opts.attempts ?? 50,
    read: () => readCounter(id),
    plan: (current): Decision<number, 'no counter'> => {
      if (!current) return { done: 'no counter' };
      reads.push(current.count);
      return { write: current.count + 1 };
    },
    write: async (current, count) => {
      await opts.beforeWrite?.();
      return writeCount(current, count);
    },
    optimistic: opts.optimistic,
  });
  return { outcome, reads };
}

/** Another writer's change of the counter, landing between our read and our write. */
const concurrentIncrement = (id: string) => Counter.updateOne({ _id: id }, { $inc: { count: 1, version: 1 } });

describe('compareAndSet', () => {
  it('when another write lands between the read and the write, then it reads again and decides on the new state', async () => {
    await Counter.create({ _id: 'c1', count: 0, version: 0 });
    let interfered = false;
    const { outcome, reads } = increment('c1', {
      beforeWrite: async () => {
        if (interfered) return;
        interfered = true;
        await concurrentIncrement('c1');
      },
    });
    expect(await outcome).toEqual({ _id: 'c1', count: 2, version: 2 });
    // The first plan saw 0 and lost; the second saw the other writer's 1.
    expect(reads).toEqual([0, 1]);
  });

  it('when 10 writers change one document at once, then every change lands once', async () => {
    await Counter.create({ _id: 'c2', count: 0, version: 0 });
    await Promise.all(Array.from({ length: 10 }, () => increment('c2').outcome));
    expect(await readCounter('c2')).toEqual({ _id: 'c2', count: 10, version: 10 });
  });

  it('when plan answers without a write, then nothing is written and its answer is returned', async () => {
    const { outcome, reads } = increment('missing');
    expect(await outcome).toBe('no counter');
    expect(reads).toEqual([]);
    expect(await readCounter('missing')).toBeNull();
  });

  it('when every round loses to another write, then after the last attempt it fails with the 503 ConcurrentUpdateError', async () => {
    await Counter.create({ _id: 'c3', count: 0, version: 0 });
    const { outcome, reads } = increment('c3', { attempts: 3, beforeWrite: () => concurrentIncrement('c3') });
    const err = await outcome.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConcurrentUpdateError);
    expect(err).toBeInstanceOf(ServiceUnavailableError);
    expect(err).toMatchObject({ statusCode: 503, message: 'Counter is busy, try again', id: 'c3', attempts: 3 });
    expect(reads).toHaveLength(3);
    // Only the other writer's changes landed.
    expect(await readCounter('c3')).toEqual({ _id: 'c3', count: 3, version: 3 });
  });

  it('when the optimistic write lands, then nothing is read; when it misses, the rounds read and decide as usual', async () => {
    await Counter.create({ _id: 'c5', count: 0, version: 0 });
    // The common case of this counter: at 0, it goes to 1 in one conditional write.
    const fromZero = () =>
      Counter.findOneAndUpdate({ _id: 'c5', count: 0 }, { $set: { count: 1 }, $inc: { version: 1 } }, { new: true }).lean().exec();

    const first = increment('c5', { optimistic: fromZero });
    expect(await first.outcome).toEqual({ _id: 'c5', count: 1, version: 1 });
    expect(first.reads).toEqual([]);

    const second = increment('c5', { optimistic: fromZero });
    expect(await second.outcome).toEqual({ _id: 'c5', count: 2, version: 2 });
    expect(second.reads).toEqual([1]);
  });

  it('when a route runs out of attempts, then the client gets 503 with Retry-After in the error shape', async () => {
    const router = Router().post('/api/counters/:id', async (req, res) => {
      res.send(await increment(req.params.id, { attempts: 2, beforeWrite: () => concurrentIncrement(req.params.id) }).outcome);
    });
    const app = createApp({ logger: captureLogger().logger, routers: [router] });
    await Counter.create({ _id: 'c4', count: 0, version: 0 });
    const res = await request(app).post('/api/counters/c4').set('Content-Type', 'application/json').send({}).expect(503);
    expect(res.body).toEqual({ errors: [{ message: 'Counter is busy, try again' }] });
    expect(res.headers['retry-after']).toBe('1');
  });
});

describe('createReplica', () => {
  interface ReplicaAttrs {
    _id: string;
    title: string;
    version: number;
  }
  const Replica = mongoose.model<ReplicaAttrs>(
    'CreatedReplica',
    new Schema<ReplicaAttrs>({ _id: String, title: String, version: Number }, { versionKey: false }),
  );

  it('when the creating event arrives, then the replica is stored', async () => {
    expect(await createReplica(Replica, { _id: 'r1', title: 'v0', version: 0 })).toBe('applied');
    expect(await Replica.findById('r1').lean()).toEqual({ _id: 'r1', title: 'v0', version: 0 });
  });

  it('when the creating event is delivered again after the replica moved on, then it is already applied and the replica stays as it is', async () => {
    await createReplica(Replica, { _id: 'r2', title: 'v0', version: 0 });
    await Replica.updateOne({ _id: 'r2' }, { $set: { title: 'v1', version: 1 } });
    expect(await createReplica(Replica, { _id: 'r2', title: 'v0', version: 0 })).toBe('already-applied');
    expect(await Replica.findById('r2').lean()).toEqual({ _id: 'r2', title: 'v1', version: 1 });
  });

  it('when the insert fails for another reason, then the error reaches the caller', async () => {
    const Strict = mongoose.model('StrictReplica', new Schema({ _id: String, version: { type: Number, required: true } }));
    await expect(createReplica(Strict, { _id: 'r3' })).rejects.toThrow(/version/);
  });
});

describe('readReplica', () => {
  const Listed = mongoose.model<{ _id: string; title: string }>('ArrivingThing', new Schema({ _id: String, title: String }, { versionKey: false }));
  const read = (id: string) => () => Listed.findById(id).lean().exec();
  /** An ObjectId minted `secondsAgo` ago. */
  const idFrom = (secondsAgo: number) =>
    Math.floor(Date.now() / 1000 - secondsAgo).toString(16).padStart(8, '0') + new mongoose.Types.ObjectId().toHexString().slice(8);

  it('when the replica arrives while a request waits for it, then the request gets it at once, woken by createReplica, not by its recheck', async () => {
    const id = idFrom(0);
    const started = Date.now();
    const waiting = readReplica(Listed.modelName, id, read(id), { recheckMs: 10_000, timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 150));
    await createReplica(Listed, { _id: id, title: 'just listed' });

    expect(await waiting).toEqual({ _id: id, title: 'just listed' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('when woken with the document createReplica inserted, then that document is the answer: no second read', async () => {
    const id = idFrom(0);
    let reads = 0;
    const counted = (): Promise<object | null> => {
      reads++;
      return read(id)();
    };
    const waiting = readReplica(Listed.modelName, id, counted, {
      recheckMs: 10_000,
      timeoutMs: 10_000,
      fromArrival: (stored) => ({ ...(stored as { _id: string; title: string }), handed: true }),
    });
    await new Promise((r) => setTimeout(r, 100));
    await createReplica(Listed, { _id: id, title: 'handed over' });

    expect(await waiting).toEqual({ _id: id, title: 'handed over', handed: true });
    expect(reads).toBe(1);
  });

  it('when the replica lands in another process (no signal here), then the request finds it at its next recheck', async () => {
    const id = idFrom(1);
    const waiting = readReplica(Listed.modelName, id, read(id), { recheckMs: 100, timeoutMs: 5_000 });
    await new Promise((r) => setTimeout(r, 150));
    await Listed.collection.insertOne({ _id: id as never, title: 'elsewhere' });
    expect(await waiting).toEqual({ _id: id, title: 'elsewhere' });
  });

  it('when the replica never arrives, then null after the timeout, having read it again at growing intervals only', async () => {
    const id = idFrom(0);
    const started = Date.now();
    let reads = 0;
    const counted = () => {
      reads++;
      return read(id)();
    };
    // Reads at 0, 50, 150 and 300 ms: the pause doubles each time, up to the deadline.
    expect(await readReplica(Listed.modelName, id, counted, { recheckMs: 50, timeoutMs: 300 })).toBeNull();
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(reads).toBe(4);
  });

  it('when the id is old, malformed or in the future, then one read answers at once: nothing can be on its way', async () => {
    for (const id of [idFrom(3_600), 'not-an-object-id', idFrom(-3_600)]) {
      const started = Date.now();
      let reads = 0;
      const counted = () => {
        reads++;
        return read(id)();
      };
      expect(await readReplica(Listed.modelName, id, counted, { timeoutMs: 5_000 })).toBeNull();
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(reads).toBe(1);
    }
  });

  it('when the waiters are at their cap, then a further request is answered from one read', async () => {
    const waiting = [0, 1].map(() => {
      const id = idFrom(0);
      return readReplica(Listed.modelName, id, read(id), { maxWaiters: 2, recheckMs: 100, timeoutMs: 400 });
    });
    const id = idFrom(0);
    const started = Date.now();
    expect(await readReplica(Listed.modelName, id, read(id), { maxWaiters: 2, timeoutMs: 5_000 })).toBeNull();
    expect(Date.now() - started).toBeLessThan(300);
    expect(await Promise.all(waiting)).toEqual([null, null]);
  });
});

describe('keepArrivals', () => {
  interface PaidAttrs {
    _id: string;
    status: string;
    version: number;
  }
  const Kept = mongoose.model<PaidAttrs>('KeptThing', new Schema({ _id: String, status: String, version: Number }, { versionKey: false }));
  const asStored = (stored: Record<string, unknown>) => stored as unknown as PaidAttrs;
  const newKeyId = () => new mongoose.Types.ObjectId().toHexString();
  /** A read that counts how often the request reached the database. */
  const counting = (id: string) => {
    const counter = { reads: 0 };
    const read = () => {
      counter.reads++;
      return Kept.findById(id).lean().exec();
    };
    return { counter, read };
  };

  afterEach(() => clearKeptArrivals());

  it('when a request names a replica that arrived a moment ago, then the kept copy answers it without a read', async () => {
    keepArrivals(Kept.modelName, { forMs: 5_000, max: 10 });
    const id = newKeyId();
    await createReplica(Kept, { _id: id, status: 'created', version: 0 });
    const { counter, read } = counting(id);

    expect(await readReplica(Kept.modelName, id, read, { fromArrival: asStored })).toMatchObject({ _id: id, status: 'created' });
    expect(counter.reads).toBe(0);
  });

  it('when the replica changed in this process since (applyNextVersion), then the request reads the stored replica', async () => {
    keepArrivals(Kept.modelName, { forMs: 5_000, max: 10 });
    const id = newKeyId();
    await createReplica(Kept, { _id: id, status: 'created', version: 0 });
    await applyNextVersion(Kept, id, 1, { status: 'cancelled' });
    const { counter, read } = counting(id);

    expect(await readReplica(Kept.modelName, id, read, { fromArrival: asStored })).toMatchObject({ status: 'cancelled', version: 1 });
    expect(counter.reads).toBe(1);
  });

  it('when the copy is older than its bound, or beyond the cap, then the request reads the stored replica', async () => {
    keepArrivals(Kept.modelName, { forMs: 200, max: 2 });
    const old = newKeyId();
    await createReplica(Kept, { _id: old, status: 'created', version: 0 });
    await new Promise((r) => setTimeout(r, 300));
    const stale = counting(old);
    expect(await readReplica(Kept.modelName, old, stale.read, { fromArrival: asStored })).toMatchObject({ _id: old });
    expect(stale.counter.reads).toBe(1);

    const ids = [newKeyId(), newKeyId(), newKeyId()];
    for (const id of ids) await createReplica(Kept, { _id: id, status: 'created', version: 0 });
    const first = counting(ids[0]);
    const last = counting(ids[2]);
    await readReplica(Kept.modelName, ids[0], first.read, { fromArrival: asStored });
    await readReplica(Kept.modelName, ids[2], last.read, { fromArrival: asStored });
    expect([first.counter.reads, last.counter.reads]).toEqual([1, 0]);
  });

  it('when no service asked to keep a model, or a request gives no fromArrival, then every request reads', async () => {
    const NotKept = mongoose.model<PaidAttrs>('NotKeptThing', new Schema({ _id: String, status: String, version: Number }, { versionKey: false }));
    const id = newKeyId();
    await createReplica(NotKept, { _id: id, status: 'created', version: 0 });
    let reads = 0;
    const read = () => {
      reads++;
      return NotKept.findById(id).lean().exec();
    };
    await readReplica(NotKept.modelName, id, read, { fromArrival: asStored });
    expect(reads).toBe(1);

    keepArrivals(Kept.modelName, { forMs: 5_000, max: 10 });
    const other = newKeyId();
    await createReplica(Kept, { _id: other, status: 'created', version: 0 });
    const plain = counting(other);
    await readReplica(Kept.modelName, other, plain.read);
    expect(plain.counter.reads).toBe(1);
  });
});
