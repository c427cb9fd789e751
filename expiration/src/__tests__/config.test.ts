import { ConfigError, loadConfig, requiredVariables } from '@ticketing/common';
import { configSpec } from '../config';

const complete = { NATS_URL: 'nats://127.0.0.1:4223', NATS_CLUSTER_ID: 'ticketing', REDIS_URL: 'redis://redis:6379' };

it('when the deployment is checked, then exactly the bus and Redis variables are required (no JWT_KEY, no MONGO_URI)', () => {
  expect(requiredVariables(configSpec).sort()).toEqual(['NATS_CLUSTER_ID', 'NATS_URL', 'REDIS_URL']);
});

it('when every required variable is set, then the config is typed with its defaults', () => {
  const config = loadConfig(configSpec, complete);

  expect(config).toMatchObject({ ...complete, PORT: 3000, LOG_LEVEL: 'info' });
  expect(config.NATS_CLIENT_ID).toMatch(/^expiration-/);
});

it('when REDIS_URL is missing or not a URL, then loading fails naming it', () => {
  const { REDIS_URL: _omitted, ...withoutRedis } = complete;

  expect(() => loadConfig(configSpec, withoutRedis)).toThrow(ConfigError);
  expect(() => loadConfig(configSpec, withoutRedis)).toThrow('REDIS_URL is required but not set');
  expect(() => loadConfig(configSpec, { ...complete, REDIS_URL: 'redis host' })).toThrow('REDIS_URL must be a URL');
});
