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
  /**
   * How often orders cancels the holds that are over by itself (the hold sweeper), so a
   * hold ends within this many seconds (plus one sweep) even when expiration's job was lost.
   */
  HOLD_SWEEP_INTERVAL_SECONDS: env.int({
    default: 5,
    check: (v) => (v < 1 || v > 20 ? 'must be between 1 and 20 (holds must end within 30 s)' : undefined),
  }),
};

export const loadServiceConfig = () => loadConfig(configSpec);
