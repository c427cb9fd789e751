import { baseEnv, env, loadConfig, natsEnv } from '@ticketing/common';

export const SERVICE_NAME = 'expiration';

export const configSpec = {
  ...baseEnv,
  ...natsEnv(SERVICE_NAME),
  REDIS_URL: env.url(),
};

export const loadServiceConfig = () => loadConfig(configSpec);
