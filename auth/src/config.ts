import { baseEnv, env, loadConfig, mongoEnv, sessionEnv } from '@ticketing/common';

const atLeastOne = (v: number) => (v < 1 ? 'must be at least 1' : undefined);

/** Defaults of the auth settings; buildApp falls back to them when built without a config. */
export const authDefaults = {
  sessionTtlSeconds: 60 * 60 * 24,
  signin: {
    maxFailures: 5,
    // One client IP may front many users (an office NAT), so it gets a larger budget.
    maxFailuresPerIp: 100,
    windowSeconds: 15 * 60,
  },
};

export const configSpec = {
  ...baseEnv,
  ...sessionEnv,
  ...mongoEnv,
  SESSION_TTL_SECONDS: env.int({ default: authDefaults.sessionTtlSeconds, check: atLeastOne }),
  SIGNIN_MAX_FAILURES: env.int({ default: authDefaults.signin.maxFailures, check: atLeastOne }),
  SIGNIN_MAX_FAILURES_PER_IP: env.int({ default: authDefaults.signin.maxFailuresPerIp, check: atLeastOne }),
  SIGNIN_WINDOW_SECONDS: env.int({ default: authDefaults.signin.windowSeconds, check: atLeastOne }),
};

export const loadServiceConfig = () => loadConfig(configSpec);
