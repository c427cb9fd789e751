import type { Model } from 'mongoose';
import { OutboxRelay } from '../outbox/outbox-relay';
import { InMemoryBus } from './in-memory-bus';
import { captureLogger } from './logger';

/**
 * Runs the outbox relay once over `models` into `bus` (a new InMemoryBus by default), so a
 * route test can assert the events its write stored, exactly as the relay would send them.
 */
export async function flushOutbox(
  models: Model<any>[], // eslint-disable-line @typescript-eslint/no-explicit-any
  bus: InMemoryBus = new InMemoryBus(),
): Promise<InMemoryBus> {
  await new OutboxRelay(bus, models, captureLogger().logger).flush();
  return bus;
}
