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
