import { randomBytes } from 'node:crypto';
import { NatsBus } from '../bus/nats-bus';
import { captureLogger } from '../testing/logger';

export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4223';
export const NATS_CLUSTER_ID = process.env.NATS_CLUSTER_ID ?? 'ticketing';

export const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

const open: NatsBus[] = [];

/** A real connection to the NATS Streaming server of the test run. */
export async function connectBus(name = 'test'): Promise<NatsBus> {
  const bus = await NatsBus.connect({
    url: NATS_URL,
    clusterId: NATS_CLUSTER_ID,
    clientId: unique(name),
    logger: captureLogger().logger,
    connectTimeoutMs: 5_000,
  });
  open.push(bus);
  return bus;
}

export async function closeAllBuses(): Promise<void> {
  await Promise.all(open.splice(0).map((b) => b.close()));
}

export async function waitFor(check: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
