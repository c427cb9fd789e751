import { randomBytes } from 'node:crypto';
import { ConfigError, baseEnv, env, loadConfig, mongoEnv, natsEnv, requiredVariables, runtimeOptions, sessionEnv } from '../config';

describe('loadConfig', () => {
  const spec = { ...baseEnv, ...sessionEnv, ...mongoEnv, ...natsEnv('orders'), ORDER_EXPIRATION_SECONDS: env.int().default(900) };

  it('when every required variable is set, then it parses types and applies defaults', () => {
    const config = loadConfig(spec, {
      JWT_KEY: randomBytes(32).toString('hex'),
      MONGO_URI: 'mongodb://127.0.0.1:27017/x',
      NATS_URL: 'nats://127.0.0.1:4223',
      NATS_CLUSTER_ID: 'ticketing',
      COOKIE_SECURE: 'false',
      PORT: '4000',
    });
    expect(config.NATS_CLIENT_ID).toMatch(/^orders-.+-[0-9a-f]{6}$/);
    expect(config).toMatchObject({ PORT: 4000, COOKIE_SECURE: false, ORDER_EXPIRATION_SECONDS: 900, LOG_LEVEL: 'info' });
  });

  it('when variables are missing or malformed, then one error names every one of them', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig(spec, { JWT_KEY: 'short', PORT: 'eighty', NATS_URL: 'not a url' });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems).toEqual(
      expect.arrayContaining([
        'JWT_KEY must be at least 32 bytes of random data (e.g. `openssl rand -hex 32`)',
        'PORT must be a whole number',
        'MONGO_URI is required but not set',
        'NATS_URL must be a URL',
        'NATS_CLUSTER_ID is required but not set',
      ]),
    );
  });

  it('when several variables are bad, then the message lists each once, on its own line, in declaration order', () => {
    // 'short' breaks two rules of JWT_KEY (length and randomness): it is named once, for the first.
    expect(() => loadConfig(spec, { JWT_KEY: 'short', PORT: '-1', COOKIE_SECURE: 'maybe', MONGO_URI: ' ' })).toThrow(
      new ConfigError([
        'PORT must be a whole number',
        'JWT_KEY must be at least 32 bytes of random data (e.g. `openssl rand -hex 32`)',
        'COOKIE_SECURE must be true or false',
        'MONGO_URI is required but not set',
        'NATS_URL is required but not set',
        'NATS_CLUSTER_ID is required but not set',
      ]),
    );
  });

  it('when a value has surrounding spaces, then it is read trimmed', () => {
    const config = loadConfig({ ...baseEnv, ...mongoEnv }, { PORT: ' 4000 ', MONGO_URI: ' mongodb://db:27017/x ' });
    expect(config).toMatchObject({ PORT: 4000, MONGO_URI: 'mongodb://db:27017/x' });
  });

  it('when JWT_KEY has the length but is one character repeated, then it is refused as not random', () => {
    expect(() => loadConfig({ ...sessionEnv }, { JWT_KEY: 'k'.repeat(64) })).toThrow(/JWT_KEY looks too regular to be random/);
  });

  it('lists the variables a deployment must set', () => {
    expect(requiredVariables(spec).sort()).toEqual(['JWT_KEY', 'MONGO_URI', 'NATS_CLUSTER_ID', 'NATS_URL']);
  });
});

describe('runtimeOptions', () => {
  it('when a service declares a database and the bus, then runService gets ports, the MongoDB URI and the NATS settings from its config', () => {
    const config = loadConfig(
      { ...baseEnv, ...mongoEnv, ...natsEnv('orders') },
      {
        PORT: '4100',
        METRICS_PORT: '9500',
        MONGO_URI: 'mongodb://db:27017/orders',
        NATS_URL: 'nats://nats:4222',
        NATS_CLUSTER_ID: 'ticketing',
        NATS_CLIENT_ID: 'orders-1',
        NATS_USER: 'orders',
        NATS_PASSWORD: 'secret',
      },
    );
    expect(runtimeOptions(config)).toEqual({
      port: 4100,
      metricsPort: 9500,
      mongoUri: 'mongodb://db:27017/orders',
      nats: { url: 'nats://nats:4222', clusterId: 'ticketing', clientId: 'orders-1', user: 'orders', password: 'secret' },
    });
  });

  it('when a service has no database or no bus, then runService gets neither setting', () => {
    const noBus = loadConfig({ ...baseEnv, ...mongoEnv }, { MONGO_URI: 'mongodb://db:27017/auth' });
    expect(runtimeOptions(noBus)).toEqual({ port: 3000, metricsPort: 9464, mongoUri: 'mongodb://db:27017/auth' });
    const noDb = loadConfig({ ...baseEnv, ...natsEnv('expiration') }, { NATS_URL: 'nats://nats:4222', NATS_CLUSTER_ID: 'c', NATS_CLIENT_ID: 'e' });
    expect(runtimeOptions(noDb)).toEqual({ port: 3000, metricsPort: 9464, nats: { url: 'nats://nats:4222', clusterId: 'c', clientId: 'e' } });
  });
});
