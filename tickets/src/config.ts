import { baseEnv, env, loadConfig, mongoEnv, natsEnv, sessionEnv, z } from '@ticketing/common';

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
  TICKET_LIST_REFRESH_MS: env.int(z.number().min(100, 'must be at least 100')).default(60_000),
};

export const loadServiceConfig = () => loadConfig(configSpec);
