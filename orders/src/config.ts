import { baseEnv, env, loadConfig, mongoEnv, natsEnv, sessionEnv } from '@ticketing/common';

/** The `source` of every event this service publishes. */
export const SERVICE_NAME = 'orders';

export const configSpec = {
  ...baseEnv,
  ...sessionEnv,
  ...mongoEnv,
  ...natsEnv(SERVICE_NAME),
  /** How long a buyer holds a ticket before the expiration service cancels the order. */
  ORDER_EXPIRATION_SECONDS: env.int({
    default: 900,
    check: (v) => (v < 1 ? 'must be at least 1' : undefined),
  }),
};

export const loadServiceConfig = () => loadConfig(configSpec);
