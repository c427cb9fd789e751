import { NatsBus } from '../bus/nats-bus';
import { captureLogger } from '../testing/logger';
import { unique } from '../testing/wait';

export { sleep, unique, waitFor } from '../testing/wait';

export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4223';
export const NATS_CLUSTER_ID = process.env.NATS_CLUSTER_ID ?? 'ticketing';

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

/**
 * Ids of the events on `subject` whose title starts with `tag`, as a fresh subscriber on the
 * real NATS Streaming receives them (the array fills as they arrive).
 */
export async function collectTitled(subject: string, tag: string): Promise<string[]> {
  const bus = await connectBus('collector');
  const got: string[] = [];
  bus.subscribe({ subject, queueGroup: unique('collect'), ackWaitMs: 5_000, maxInFlight: 10 }, (d) => {
    const env = JSON.parse(d.raw);
    if (String(env.data.title).startsWith(tag)) got.push(env.id);
    d.ack();
  });
  return got;
}
