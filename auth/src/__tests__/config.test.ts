import { ConfigError, loadConfig, requiredVariables } from '@ticketing/common';
import { configSpec } from '../config';

const required = { JWT_KEY: 'k'.repeat(32), MONGO_URI: 'mongodb://auth-mongo:27017/auth' };

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
    });
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
