import { randomBytes } from 'node:crypto';
import mongoose, { Schema } from 'mongoose';
import { connectMongo, insertDocument, registry } from '../index';
import { captureLogger } from '../testing';

// A service connected by connectMongo counts every collection operation it sends, by
// method, on the real MongoDB-protocol server, without the driver's command monitoring
// (which costs every command two event objects and a deserialised reply).
jest.setTimeout(30_000);

const Thing = mongoose.model('MetricThing', new Schema({ name: { type: String, required: true }, n: Number }, { timestamps: true }));

async function count(method: string): Promise<number> {
  const m = await registry.getSingleMetric('mongodb_commands_total')!.get();
  return m.values.find((v) => v.labels.command === method)?.value ?? 0;
}

beforeAll(async () => {
  const base = process.env.MONGO_URI ?? 'mongodb://127.0.0.1:27017';
  const url = new URL(base);
  url.pathname = `/metric_${randomBytes(4).toString('hex')}`;
  await connectMongo(url.toString(), captureLogger().logger, 15_000);
});

afterAll(async () => {
  await mongoose.connection.db?.dropDatabase();
  await mongoose.disconnect();
});

it('when a service reads and writes through its models, then mongodb_commands_total counts each operation by method', async () => {
  const before = { insertOne: await count('insertOne'), findOne: await count('findOne'), updateOne: await count('updateOne'), deleteOne: await count('deleteOne') };

  const stored = await insertDocument(Thing, { name: 'a', n: 1 });
  await Thing.findById(stored._id).lean();
  await Thing.findById(stored._id).lean();
  await Thing.updateOne({ _id: stored._id }, { $set: { n: 2 } });
  await Thing.deleteOne({ _id: stored._id });

  expect(await count('insertOne')).toBe(before.insertOne + 1);
  expect(await count('findOne')).toBe(before.findOne + 2);
  expect(await count('updateOne')).toBe(before.updateOne + 1);
  expect(await count('deleteOne')).toBe(before.deleteOne + 1);
  expect(await Thing.countDocuments()).toBe(0);
});

it('when connected, then the driver does not monitor commands (no per-command events are built)', () => {
  expect(mongoose.connection.getClient().options.monitorCommands).toBe(false);
});
