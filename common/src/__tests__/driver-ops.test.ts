import mongoose, { Schema, Types } from 'mongoose';
import {
  castId,
  deleteOneRaw,
  findByIdRaw,
  OutboxRelay,
  outboxPlugin,
  Publisher,
  Subjects,
  TicketUpdatedEvent,
  updateAndReturn,
  updateOneRaw,
} from '../index';
import { captureLogger, useTestDatabase } from '../testing';
import { closeAllBuses, collectTitled, connectBus, sleep, unique, waitFor } from './helpers';

// The purchase path's driver reads and writes (driver-ops.ts) against a real MongoDB-protocol
// server (MONGO_URI: FerretDB behind its gate) and real NATS Streaming: the `_id` cast as the
// schema stores it, timestamps as mongoose sets them, outbox entries stored plain and
// published at once, and misses that change nothing.
jest.setTimeout(30_000);
useTestDatabase();

interface Seat {
  title: string;
  version: number;
  holder?: string;
  createdAt: Date;
  updatedAt: Date;
}
const seatSchema = new Schema<Seat>(
  { title: { type: String, required: true }, version: { type: Number, required: true }, holder: String },
  { versionKey: false, timestamps: true },
);
seatSchema.plugin(outboxPlugin);
const Seat = mongoose.model<Seat>('DriverOpsSeat', seatSchema);

const markerSchema = new Schema(
  { _id: { type: String, required: true }, owner: { type: String, required: true }, at: Date },
  { versionKey: false, timestamps: { createdAt: true, updatedAt: false } },
);
const Marker = mongoose.model('DriverOpsMarker', markerSchema);

class SeatUpdatedPublisher extends Publisher<TicketUpdatedEvent> {
  readonly subject = Subjects.TicketUpdated;
}

afterEach(closeAllBuses);

it('when an id is given as text, then castId makes it the schema\'s _id type, and refuses what cannot be one', () => {
  const hex = new Types.ObjectId().toHexString();
  expect(castId(Seat, hex)).toEqual(new Types.ObjectId(hex));
  expect(castId(Marker, hex)).toBe(hex);
  expect(() => castId(Seat, 'not-an-id')).toThrow(mongoose.Error.CastError);
});

it('when a document is read by its hex id, then findByIdRaw returns it as stored (as lean does), and null for none', async () => {
  const seat = await Seat.create({ title: 'Row A', version: 0 });
  const raw = await findByIdRaw<Seat & { _id: Types.ObjectId }>(Seat, seat.id);
  expect(raw).toEqual(await Seat.findById(seat.id).lean());
  expect(await findByIdRaw(Seat, new Types.ObjectId().toHexString())).toBeNull();
});

it('when a conditional write matches, then updateAndReturn returns the document after it, with updatedAt moved and the entry stored plain; when it misses, null and nothing changes', async () => {
  const seat = await Seat.create({ title: 'Row B', version: 0 });
  const entry = new SeatUpdatedPublisher().toOutbox({ id: seat.id, version: 1, title: 'Row B', price: 10, userId: 'u' });
  await sleep(5);

  const after = await updateAndReturn<Seat & { outbox: unknown[] }>(
    Seat,
    { _id: seat.id, version: 0 },
    { $set: { holder: 'o1' }, $inc: { version: 1 }, $push: { outbox: entry } },
  );

  expect(after).toMatchObject({ title: 'Row B', version: 1, holder: 'o1' });
  expect(after!.outbox).toEqual([{ id: entry.id, subject: entry.subject, payload: entry.payload }]);
  expect(after!.updatedAt.getTime()).toBeGreaterThan(seat.updatedAt.getTime());
  expect(after!.createdAt).toEqual(seat.createdAt);

  const missed = await updateAndReturn(Seat, { _id: seat.id, version: 0 }, { $set: { holder: 'o2' }, $inc: { version: 1 } });
  expect(missed).toBeNull();
  expect(await Seat.findById(seat.id).lean()).toMatchObject({ version: 1, holder: 'o1' });
});

it('when updateOneRaw upserts, then the insert gets createdAt and the counts tell inserted, changed and missed apart; deleteOneRaw tells whether it removed one', async () => {
  const at = new Date('2026-01-02T03:04:05Z');
  expect(await updateOneRaw(Marker, { _id: 'm1' }, { $set: { owner: 'a', at } }, { upsert: true })).toMatchObject({ upsertedCount: 1 });
  const stored = await Marker.findById('m1').lean();
  expect(stored).toMatchObject({ _id: 'm1', owner: 'a', at });
  expect(stored!.createdAt).toBeInstanceOf(Date);
  expect(stored).not.toHaveProperty('updatedAt');

  expect(await updateOneRaw(Marker, { _id: 'm1', owner: 'a' }, { $set: { owner: 'b' } })).toMatchObject({ matchedCount: 1, modifiedCount: 1 });
  expect(await updateOneRaw(Marker, { _id: 'm1', owner: 'a' }, { $set: { owner: 'c' } })).toMatchObject({ matchedCount: 0, modifiedCount: 0 });
  expect((await Marker.findById('m1').lean())!.owner).toBe('b');

  expect(await deleteOneRaw(Marker, { _id: 'm1', owner: 'a' })).toBe(false);
  expect(await deleteOneRaw(Marker, { _id: 'm1', owner: 'b' })).toBe(true);
  expect(await Marker.countDocuments()).toBe(0);
});

it('when a driver write pushes an outbox entry, then the relay publishes it at once, without a sweep, and clears it', async () => {
  const tag = unique('driver-ops');
  const got = await collectTitled(Subjects.TicketUpdated, tag);
  const relay = new OutboxRelay(await connectBus('relay'), [Seat], captureLogger().logger, { pollIntervalMs: 600_000, removeDelayMs: 0 }).start();
  await sleep(300); // past the start-up sweep: only the announcements can send them now
  const a = await Seat.create({ title: `${tag} a`, version: 0 });
  const b = await Seat.create({ title: `${tag} b`, version: 0 });
  const ea = new SeatUpdatedPublisher().toOutbox({ id: a.id, version: 1, title: `${tag} a`, price: 1, userId: 'u' });
  const eb = new SeatUpdatedPublisher().toOutbox({ id: b.id, version: 1, title: `${tag} b`, price: 1, userId: 'u' });

  await updateAndReturn(Seat, { _id: a.id, version: 0 }, { $inc: { version: 1 }, $push: { outbox: ea } });
  await updateOneRaw(Seat, { _id: b.id, version: 0 }, { $inc: { version: 1 }, $push: { outbox: eb } });

  await waitFor(() => got.length === 2, 5_000, 'both events');
  expect(got.sort()).toEqual([ea.id, eb.id].sort());
  for (const id of [a._id, b._id]) {
    await waitFor(async () => ((await Seat.collection.findOne({ _id: id }))?.outbox ?? [1]).length === 0, 5_000, 'the entry removed');
  }
  await relay.stop();
});
