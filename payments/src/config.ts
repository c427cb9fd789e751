import { baseEnv, env, loadConfig, mongoEnv, natsEnv, sessionEnv } from '@ticketing/common';

export const configSpec = {
  ...baseEnv,
  ...sessionEnv,
  ...mongoEnv,
  ...natsEnv('payments'),
  STRIPE_SECRET_KEY: env.string(),
  // Empty means the real Stripe API; set it to point the SDK at a local stripe-mock.
  STRIPE_API_BASE: env.url({
    default: '',
    check: (v) => (/^https?:$/.test(new URL(v).protocol) ? undefined : 'must be an http or https URL'),
  }),
};

export const loadServiceConfig = () => loadConfig(configSpec);
