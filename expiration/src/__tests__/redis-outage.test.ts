import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { ExpirationCompleteEvent, OrderCreatedEvent, Subjects } from '@ticketing/common';
import { captureLogger, envelopeOf, InMemoryBus, sleep, waitFor } from '@ticketing/common/testing';
import { OrderCreatedListener } from '../events/listeners/order-created-listener';
import { orderCreatedData, useTestQueues } from '../test/helpers';

// Losing Redis needs a Redis of our own to stop: a private redis-server on a free port.

// Below the ephemeral range, so no outgoing connection takes the port while Redis is down.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { freePort } = require('../../../scripts/stack/processes') as { freePort: () => Promise<number> };

let redisServer: ChildProcess | undefined;
const startRedis = async (port: number) => {
  redisServer = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no']);
  await waitFor(
    () => new Promise<boolean>((resolve) => net.connect(port, '127.0.0.1').on('connect', function (this: net.Socket) {
      this.destroy();
      resolve(true);
    }).on('error', () => resolve(false))),
    10_000,
    'redis-server',
  );
};
const stopRedis = async () => {
  const server = redisServer;
  redisServer = undefined;
  if (!server || server.exitCode !== null) return;
  server.kill('SIGKILL');
  await once(server, 'exit');
};
const queues = useTestQueues();
// Declared after useTestQueues so that it runs after it: the service closes while Redis is up.
afterEach(stopRedis);

it('when Redis goes away and comes back, then readiness follows it, the outage is logged once, and an order:created from meanwhile is scheduled once it is back', async () => {
  const port = await freePort();
  await startRedis(port);
  const { logger, lines } = captureLogger();
  const proc = await queues.open(logger, `redis://127.0.0.1:${port}`);
  const bus = new InMemoryBus();
  await proc.startWorker(bus, logger);
  const listener = new OrderCreatedListener(bus, logger, proc.queue);
  const envelope = envelopeOf<OrderCreatedEvent>(Subjects.OrderCreated, orderCreatedData(-1));
  expect(proc.redis.isReady()).toBe(true);

  await stopRedis();
  await waitFor(() => !proc.redis.isReady(), 10_000, 'not ready');
  expect(await listener.handle(envelope)).toBe('retry');
  await sleep(1_500); // several reconnect attempts

  const errors = lines.filter((l) => l.level >= 50);
  expect(errors.map((l) => [l.redis, l.msg]).sort()).toEqual([
    ['queue', 'lost Redis, reconnecting: no expiration fires meanwhile'],
    ['worker', 'lost Redis, reconnecting: no expiration fires meanwhile'],
  ]);

  await startRedis(port);
  await waitFor(() => proc.redis.isReady(), 15_000, 'ready again');
  expect(await listener.handle(envelope, 2)).toBe('acked');
  await waitFor(() => bus.events(Subjects.ExpirationComplete).length > 0, 5_000, 'expiration:complete');

  expect(bus.events<ExpirationCompleteEvent>(Subjects.ExpirationComplete)).toEqual([{ orderId: envelope.data.id }]);
  expect(lines.filter((l) => l.msg === 'reconnected to Redis')).toHaveLength(2);
});

it('when Redis is away at shutdown, then the service still stops at once', async () => {
  const port = await freePort();
  await startRedis(port);
  const proc = await queues.open(captureLogger().logger, `redis://127.0.0.1:${port}`);
  await proc.startWorker(new InMemoryBus());
  await stopRedis();
  await waitFor(() => !proc.redis.isReady(), 10_000, 'not ready');

  const started = Date.now();
  await proc.close();

  expect(Date.now() - started).toBeLessThan(2_000);
});
