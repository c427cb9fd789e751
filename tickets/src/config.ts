import { baseEnv, loadConfig, mongoEnv, natsEnv, sessionEnv } from '@ticketing/common';

export const SERVICE_NAME = 'tickets';

export const configSpec = {
  ...baseEnv,
  ...sessionEnv,
  ...mongoEnv,
  ...natsEnv(SERVICE_NAME),
};

export const loadServiceConfig = () => loadConfig(configSpec);
