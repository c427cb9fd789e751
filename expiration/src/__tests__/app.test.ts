import request from 'supertest';
import { captureLogger } from '@ticketing/common/testing';
import { buildApp } from '../app';
import { useTestQueues } from '../test/helpers';

const queues = useTestQueues();

it('when Redis is connected, then /healthz and /readyz answer 200', async () => {
  const { redis } = await queues.open();
  const app = buildApp({ logger: captureLogger().logger, isReady: redis.isReady });

  await request(app).get('/healthz').expect(200, { status: 'ok' });
  await request(app).get('/readyz').expect(200, { status: 'ready' });
});

it('when a Redis connection is lost, then /readyz answers 503 and /healthz still 200', async () => {
  const { redis } = await queues.open();
  const app = buildApp({ logger: captureLogger().logger, isReady: redis.isReady });

  redis.worker.disconnect();
  await new Promise((r) => redis.worker.once('end', r));

  await request(app).get('/readyz').expect(503, { status: 'not ready' });
  await request(app).get('/healthz').expect(200);
});

it('when anything but the health routes is asked for, then 404 in the error shape, also with a malformed body', async () => {
  const { logger, lines } = captureLogger();
  const app = buildApp({ logger });

  await request(app).get('/api/orders').expect(404, { errors: [{ message: 'Not Found' }] });
  await request(app).post('/anything').send({ $where: '1' }).expect(400);
  const malformed = await request(app).post('/anything').set('content-type', 'application/json').send('{"a":');
  expect(malformed.status).toBe(400);
  expect(malformed.body).toEqual({ errors: [{ message: 'Malformed JSON body' }] });
  expect(lines.filter((l) => l.level >= 50)).toEqual([]);
});
