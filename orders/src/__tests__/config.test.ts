import { ConfigError, loadConfig, requiredVariables } from '@ticketing/common';
import { testJwtKey } from '@ticketing/common/testing';
import { configSpec } from '../config';

const complete = {
  JWT_KEY: testJwtKey(),
  MONGO_URI: 'mongodb://127.0.0.1:27017/orders',
  NATS_URL: 'nats://127.0.0.1:4222',
  NATS_CLUSTER_ID: 'ticketing',
};

describe('config', () => {
  it('when a deployment reads the required variables, then they are exactly the ones without a default', () => {
    expect(requiredVariables(configSpec).sort()).toEqual(['JWT_KEY', 'MONGO_URI', 'NATS_CLUSTER_ID', 'NATS_URL']);
  });

  it('when only the required variables are set, then the hold window is 15 minutes and the client id is unique', () => {
    const a = loadConfig(configSpec, complete);
    const b = loadConfig(configSpec, complete);
    expect(a.ORDER_EXPIRATION_SECONDS).toBe(900);
    expect(a.NATS_CLIENT_ID).toMatch(/^orders-/);
    expect(a.NATS_CLIENT_ID).not.toBe(b.NATS_CLIENT_ID);
  });

  it('when HOLD_SWEEP_INTERVAL_SECONDS is not set, then holds are swept every 5 s; when set, it is used', () => {
    expect(loadConfig(configSpec, complete).HOLD_SWEEP_INTERVAL_SECONDS).toBe(5);
    expect(loadConfig(configSpec, { ...complete, HOLD_SWEEP_INTERVAL_SECONDS: '2' }).HOLD_SWEEP_INTERVAL_SECONDS).toBe(2);
  });

  it.each([['0'], ['21'], ['1.5'], ['soon']])('when HOLD_SWEEP_INTERVAL_SECONDS is %s, then the config is refused naming it', (value) => {
    expect(() => loadConfig(configSpec, { ...complete, HOLD_SWEEP_INTERVAL_SECONDS: value })).toThrow(/HOLD_SWEEP_INTERVAL_SECONDS/);
  });

  it.each([['0'], ['-5'], ['ten']])('when ORDER_EXPIRATION_SECONDS is %s, then the config is refused naming it', (value) => {
    expect(() => loadConfig(configSpec, { ...complete, ORDER_EXPIRATION_SECONDS: value })).toThrow(/ORDER_EXPIRATION_SECONDS/);
  });

  it('when variables are missing, then one error names every one of them', () => {
    let error: unknown;
    try {
      loadConfig(configSpec, { JWT_KEY: complete.JWT_KEY });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'MONGO_URI is required but not set',
      'NATS_URL is required but not set',
      'NATS_CLUSTER_ID is required but not set',
    ]);
  });
});
