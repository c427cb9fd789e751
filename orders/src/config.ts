import { baseEnv, env, loadConfig, mongoEnv, natsEnv, sessionEnv, z } from '@ticketing/common';

/** Given once to `main`/`runService`: logs, metrics, and the `source` of every event it publishes. */
export const SERVICE_NAME = 'orders';

const sweepBounds = 'must be between 1 and 20 (holds must end within 30 s)';

export const configSpec = {
  ...baseEnv,
  ...sessionEnv,
  ...mongoEnv,
  ...natsEnv(SERVICE_NAME),
  /** How long a buyer holds a ticket before the expiration service cancels the order. */
  ORDER_EXPIRATION_SECONDS: env.int(z.number().min(1, 'must be at least 1')).default(900),
  /**
   * How often orders cancels the holds that are over by itself (the hold sweeper), so a
   * hold ends within this many seconds (plus one sweep) even when expiration's job was lost.
   */
  HOLD_SWEEP_INTERVAL_SECONDS: env.int(z.number().min(1, sweepBounds).max(20, sweepBounds)).default(5),
};

export const loadServiceConfig = () => loadConfig(configSpec);
