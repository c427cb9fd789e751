import mongoose, { Schema, Types } from 'mongoose';
import { insertDocument, isDuplicateKeyError, OutboxRelay, outboxPlugin, Publisher, Subjects, TicketCreatedEvent } from '../index';
import { captureLogger, useTestDatabase } from '../testing';
import { closeAllBuses, collectTitled, connectBus, sleep, unique, waitFor } from './helpers';

// insertDocument against a real MongoDB-protocol server (MONGO_URI: FerretDB behind its
// gate) and real NATS Streaming: what it stores, what it refuses, and that the relay
// publishes the entries of a document inserted this way at once.
jest.setTimeout(30_000);
useTestDatabase();

interface Listing {
  title: string;
  price: number;
  seller: string;
  tags: string[];
  venue?: { city: string };
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

const listingSchema = new Schema<Listing>(
  {
    title: { type: String, required: true },
    price: { type: Number, required: true },
    seller: { type: String, required: true },
    tags: { type: [String], default: [] },
    venue: { city: { type: String, required: true } },
    version: { type: Number, required: true, default: 0 },
  },
  { versionKey: false, timestamps: true },
);
listingSchema.plugin(outboxPlugin);
const Listing = mongoose.model<Listing>('InsertDocumentListing', listingSchema);

const holdSchema = new Schema({ _id: { type: String, required: true }, endsAt: { type: Date, required: true } }, { versionKey: false });
const Hold = mongoose.model('InsertDocumentHold', holdSchema);

class TicketCreatedPublisher extends Publisher<TicketCreatedEvent> {
  readonly subject = Subjects.TicketCreated;
}

afterEach(closeAllBuses);

it('when a document is inserted, then it is stored cast to the schema, with its defaults and timestamps, and returned as stored', async () => {
  const id = new Types.ObjectId().toHexString();
  const before = Date.now();
  const entry = new TicketCreatedPublisher().toOutbox({ id, version: 0, title: 'Cast concert', price: 12.5, userId: 'u1' });

  const stored = await insertDocument(Listing, {
    _id: id, // a hex string: the schema's _id is an ObjectId
    title: 'Cast concert',
    price: '12.5' as unknown as number, // cast as mongoose would
    seller: 'u1',
    venue: { city: 'Lyon' },
    unknownField: 'dropped',
    outbox: [entry],
  });

  const read = await Listing.collection.findOne({ _id: new Types.ObjectId(id) });
  expect(read).not.toBeNull();
  expect(read!._id).toBeInstanceOf(Types.ObjectId);
  expect(read).toMatchObject({ title: 'Cast concert', price: 12.5, seller: 'u1', tags: [], version: 0, venue: { city: 'Lyon' } });
  expect(read!.outbox).toEqual([{ id: entry.id, subject: entry.subject, payload: entry.payload }]);
  expect(read).not.toHaveProperty('unknownField');
  expect(read!.createdAt).toBeInstanceOf(Date);
  expect(read!.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1);
  expect(read!.updatedAt).toEqual(read!.createdAt);
  expect(stored).toEqual(read);
  // Mongoose reads it back like any other document.
  expect((await Listing.findById(id))!.toObject()).toMatchObject({ title: 'Cast concert', price: 12.5 });
});

it('when a required field is missing or a field cannot be cast, then nothing is stored and it throws', async () => {
  expect((await insertDocument(Listing, { title: 'No events', price: 1, seller: 'u', venue: { city: 'x' } })).outbox).toEqual([]);
  await Listing.deleteMany({});
  await expect(insertDocument(Listing, { title: 'No seller', price: 5, venue: { city: 'Lyon' } })).rejects.toThrow(
    'InsertDocumentListing: cannot insert without seller',
  );
  await expect(insertDocument(Listing, { title: 'No city', price: 5, seller: 'u', venue: {} as { city: string } })).rejects.toThrow(
    'cannot insert without venue.city',
  );
  await expect(insertDocument(Listing, { title: 'Bad price', price: 'lots' as unknown as number, seller: 'u', venue: { city: 'x' } })).rejects.toThrow(
    /price/,
  );
  expect(await Listing.countDocuments()).toBe(0);
});

it('when the _id is taken, then it throws the duplicate key error and the stored document stays as it was', async () => {
  const endsAt = new Date(Date.now() + 60_000);
  await insertDocument(Hold, { _id: 'order-1', endsAt });

  const err = await insertDocument(Hold, { _id: 'order-1', endsAt: new Date(0) }).catch((e: unknown) => e);

  expect(isDuplicateKeyError(err)).toBe(true);
  expect(await Hold.findById('order-1').lean()).toEqual({ _id: 'order-1', endsAt });
});

it('when a document with outbox entries is inserted, then the relay publishes them at once, without a sweep, and clears them', async () => {
  const tag = unique('insert');
  const got = await collectTitled(Subjects.TicketCreated, tag);
  const relay = new OutboxRelay(await connectBus('relay'), [Listing], captureLogger().logger, {
    pollIntervalMs: 600_000,
    removeDelayMs: 0,
  }).start();
  await sleep(300); // past the start-up sweep: only the announcement can send it now
  const entry = new TicketCreatedPublisher().toOutbox({ id: 't1', version: 0, title: `${tag} 1`, price: 5, userId: 'u' });

  const stored = await insertDocument(Listing, { title: `${tag} 1`, price: 5, seller: 'u', venue: { city: 'x' }, outbox: [entry] });

  await waitFor(() => got.length === 1, 5_000, 'the event');
  expect(got).toEqual([entry.id]);
  await waitFor(async () => ((await Listing.collection.findOne({ _id: stored._id }))?.outbox ?? [1]).length === 0, 5_000, 'the entry removed');
  await relay.stop();
});
