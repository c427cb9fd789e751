import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import { clearKeptArrivals } from '../replica/replica-arrivals';

let memoryServer: { getUri(): string; stop(): Promise<unknown> } | undefined;

/**
 * Connects mongoose to a fresh database for this test file: on `MONGO_URI` when it is set
 * (CI: FerretDB behind its gate), else on a real mongod started by mongodb-memory-server.
 * Each file gets its own database name, so files can run in parallel workers.
 */
export async function connectTestDatabase(): Promise<void> {
  let uri = process.env.MONGO_URI;
  if (!uri) {
    const { MongoMemoryServer } = await import('mongodb-memory-server');
    memoryServer = await MongoMemoryServer.create();
    uri = memoryServer.getUri();
  }
  const dbName = `test_${process.env.JEST_WORKER_ID ?? '0'}_${randomBytes(4).toString('hex')}`;
  await mongoose.connect(uri, { dbName, serverSelectionTimeoutMS: 10_000 });
  await Promise.all(mongoose.modelNames().map((n) => mongoose.model(n).init()));
}

/**
 * Empties every collection but keeps indexes (unique keys are part of what is tested), and
 * forgets the replica copies kept since they arrived (keepArrivals): they were of that data.
 */
export async function clearTestDatabase(): Promise<void> {
  clearKeptArrivals();
  const db = mongoose.connection.db;
  if (!db) return;
  const collections = await db.collections();
  await Promise.all(collections.map((c) => c.deleteMany({})));
}

export async function disconnectTestDatabase(): Promise<void> {
  try {
    await mongoose.connection.db?.dropDatabase();
  } finally {
    await mongoose.disconnect();
    await memoryServer?.stop();
    memoryServer = undefined;
  }
}

/** Registers the jest hooks: one database per file, emptied before each test. */
export function useTestDatabase(): void {
  beforeAll(connectTestDatabase, 60_000);
  beforeEach(clearTestDatabase);
  afterAll(disconnectTestDatabase);
}
