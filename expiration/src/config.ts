import { baseEnv, env, loadConfig, natsEnv } from '@ticketing/common';

export const configSpec = {
  ...baseEnv,
  ...natsEnv('expiration'),
  REDIS_URL: env.url(),
};

export const loadServiceConfig = () => loadConfig(configSpec);
