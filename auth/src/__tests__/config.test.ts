import os from 'node:os';
import { ConfigError, loadConfig, requiredVariables } from '@ticketing/common';
import { testJwtKey } from '@ticketing/common/testing';
import { configSpec } from '../config';

const required = { JWT_KEY: testJwtKey(), MONGO_URI: 'mongodb://auth-mongo:27017/auth' };

describe('auth config', () => {
  it('when read by a deployment check, then JWT_KEY and MONGO_URI are the required variables', () => {
    expect(requiredVariables(configSpec).sort()).toEqual(['JWT_KEY', 'MONGO_URI']);
  });

  it('when only the required variables are set, then the defaults apply', () => {
    expect(loadConfig(configSpec, required)).toMatchObject({
      PORT: 3000,
      COOKIE_SECURE: true,
      SESSION_TTL_SECONDS: 86400,
      SIGNIN_MAX_FAILURES: 5,
      SIGNIN_MAX_FAILURES_PER_IP: 100,
      SIGNIN_WINDOW_SECONDS: 900,
      SIGNUP_MAX_PER_IP: 20,
      SIGNUP_WINDOW_SECONDS: 3600,
      HASH_CONCURRENCY: os.availableParallelism(),
      HASH_QUEUE: os.availableParallelism(),
    });
  });

  it('when HASH_CONCURRENCY and HASH_QUEUE are set, then they replace the per-core defaults; a zero queue is allowed', () => {
    expect(loadConfig(configSpec, { ...required, HASH_CONCURRENCY: '3', HASH_QUEUE: '0' })).toMatchObject({
      HASH_CONCURRENCY: 3,
      HASH_QUEUE: 0,
    });
    expect(() => loadConfig(configSpec, { ...required, HASH_CONCURRENCY: '0' })).toThrow(/HASH_CONCURRENCY must be at least 1/);
    expect(() => loadConfig(configSpec, { ...required, SIGNUP_MAX_PER_IP: 'many' })).toThrow(/SIGNUP_MAX_PER_IP must be a whole number/);
  });

  it('when the limits are zero or not numbers, then the error names each bad variable', () => {
    const bad = { ...required, SIGNIN_MAX_FAILURES: '0', SIGNIN_WINDOW_SECONDS: 'soon', SESSION_TTL_SECONDS: '0' };
    expect(() => loadConfig(configSpec, bad)).toThrow(ConfigError);
    expect(() => loadConfig(configSpec, bad)).toThrow(
      /SESSION_TTL_SECONDS must be at least 1[\s\S]*SIGNIN_MAX_FAILURES must be at least 1[\s\S]*SIGNIN_WINDOW_SECONDS must be a whole number/,
    );
  });

  it('when MONGO_URI is missing, then the error names it', () => {
    expect(() => loadConfig(configSpec, { JWT_KEY: required.JWT_KEY })).toThrow(/MONGO_URI is required but not set/);
  });
});
