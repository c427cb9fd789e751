import { baseEnv, env, loadConfig, mongoEnv, natsEnv, sessionEnv } from '@ticketing/common';

export const SERVICE_NAME = 'tickets';

export const configSpec = {
  ...baseEnv,
  ...sessionEnv,
  ...mongoEnv,
  ...natsEnv(SERVICE_NAME),
  /**
   * How often the ticket list reads back other replicas' changes: their writes show in this
   * replica's GET /api/tickets within this plus one refresh query (models/listed-tickets.ts).
   */
  TICKET_LIST_REFRESH_MS: env.int({ default: 60_000, check: (v) => (v >= 100 ? undefined : 'must be at least 100') }),
};

export const loadServiceConfig = () => loadConfig(configSpec);
