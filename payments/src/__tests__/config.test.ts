import { ConfigError, loadConfig, requiredVariables } from '@ticketing/common';
import { configSpec } from '../config';

const complete = {
  JWT_KEY: '6f1c0e9a4b7d2c3f8e5a1b0d9c7e6f4a',
  MONGO_URI: 'mongodb://127.0.0.1:27017/payments',
  NATS_URL: 'nats://127.0.0.1:4222',
  NATS_CLUSTER_ID: 'ticketing',
  STRIPE_SECRET_KEY: 'sk_test_123',
};

it('when the deployment is checked, then the Stripe secret is required and its API base is not', () => {
  expect(requiredVariables(configSpec).sort()).toEqual(
    ['JWT_KEY', 'MONGO_URI', 'NATS_CLUSTER_ID', 'NATS_URL', 'STRIPE_SECRET_KEY'].sort(),
  );
});

it('when STRIPE_SECRET_KEY is missing, then loading fails naming it', () => {
  const { STRIPE_SECRET_KEY: _omitted, ...env } = complete;
  expect(() => loadConfig(configSpec, env)).toThrow(ConfigError);
  expect(() => loadConfig(configSpec, env)).toThrow(/STRIPE_SECRET_KEY is required/);
});

it('when STRIPE_API_BASE is unset, then the real Stripe API is used (empty base)', () => {
  expect(loadConfig(configSpec, complete).STRIPE_API_BASE).toBe('');
});

it.each(['not a url', 'ftp://127.0.0.1:12111'])('when STRIPE_API_BASE is %p, then loading fails naming it', (base) => {
  expect(() => loadConfig(configSpec, { ...complete, STRIPE_API_BASE: base })).toThrow(/STRIPE_API_BASE must be/);
});
