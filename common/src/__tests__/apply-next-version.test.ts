import mongoose, { Schema } from 'mongoose';
import { EventOutOfOrderError, applyNextVersion } from '../index';
import { useTestDatabase } from '../testing';

// Against the real MongoDB-protocol server (MONGO_URI: FerretDB behind its gate).
useTestDatabase();

const Replica = mongoose.model('VersionedReplica', new Schema({ _id: String, title: String, version: Number }, { versionKey: false }));

it('when events arrive in order, then each applies once and a redelivery changes nothing', async () => {
  await Replica.create({ _id: 'r1', title: 'v0', version: 0 });
  expect(await applyNextVersion(Replica, 'r1', 1, { title: 'v1' })).toBe('applied');
  expect(await applyNextVersion(Replica, 'r1', 1, { title: 'v1 again' })).toBe('already-applied');
  expect(await applyNextVersion(Replica, 'r1', 2, { title: 'v2' })).toBe('applied');
  expect(await applyNextVersion(Replica, 'r1', 1, { title: 'stale' })).toBe('already-applied');
  expect(await Replica.findById('r1').lean()).toEqual({ _id: 'r1', title: 'v2', version: 2 });
});

it('when an event skips a version, then it is refused as out of order and nothing changes', async () => {
  await Replica.create({ _id: 'r2', title: 'v0', version: 0 });
  await expect(applyNextVersion(Replica, 'r2', 2, { title: 'v2' })).rejects.toBeInstanceOf(EventOutOfOrderError);
  expect(await Replica.findById('r2').lean()).toEqual({ _id: 'r2', title: 'v0', version: 0 });
});

it('when the replica does not exist yet, then the update waits (out of order)', async () => {
  await expect(applyNextVersion(Replica, 'missing', 1, { title: 'v1' })).rejects.toThrow(/replica is at nothing/);
});

it('when the same next version arrives 10 times at once, then exactly one applies', async () => {
  await Replica.create({ _id: 'r3', title: 'v0', version: 0 });
  const outcomes = await Promise.all(Array.from({ length: 10 }, () => applyNextVersion(Replica, 'r3', 1, { title: 'v1' })));
  expect(outcomes.filter((o) => o === 'applied')).toHaveLength(1);
  expect(outcomes.filter((o) => o === 'already-applied')).toHaveLength(9);
});

const Typed = mongoose.model(
  'VersionedTypedReplica',
  new Schema({ _id: String, price: Number, heldBy: String, endsAt: Date, version: Number }, { versionKey: false }),
);

it('when an event carries text for typed fields and a null, then they are stored cast to the schema and the null clears its field', async () => {
  await Typed.create({ _id: 't1', price: 5, heldBy: 'o1', endsAt: new Date('2026-01-01T00:00:00Z'), version: 0 });

  expect(await applyNextVersion(Typed, 't1', 1, { price: '7.5', heldBy: null, endsAt: '2026-02-01T00:00:00.000Z', junk: 'x' })).toBe('applied');

  const stored = await Typed.collection.findOne({ _id: 't1' } as never);
  expect(stored).toEqual({ _id: 't1', price: 7.5, heldBy: null, endsAt: new Date('2026-02-01T00:00:00Z'), version: 1 });
});
