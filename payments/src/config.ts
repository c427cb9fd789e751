import { baseEnv, env, loadConfig, mongoEnv, natsEnv, sessionEnv, z } from '@ticketing/common';

export const SERVICE_NAME = 'payments';

export const configSpec = {
  ...baseEnv,
  ...sessionEnv,
  ...mongoEnv,
  ...natsEnv(SERVICE_NAME),
  STRIPE_SECRET_KEY: env.string(),
  // Empty means the real Stripe API; set it to point the SDK at a local stripe-mock.
  STRIPE_API_BASE: z.url({ protocol: /^https?$/, error: 'must be an http or https URL' }).default(''),
};

export const loadServiceConfig = () => loadConfig(configSpec);
