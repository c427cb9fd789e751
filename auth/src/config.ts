import os from 'node:os';
import { baseEnv, env, loadConfig, mongoEnv, sessionEnv, z } from '@ticketing/common';

export const SERVICE_NAME = 'auth';

const atLeastOne = z.number().min(1, 'must be at least 1');

/** Defaults of the auth settings; buildApp falls back to them when built without a config. */
export const authDefaults = {
  sessionTtlSeconds: 60 * 60 * 24,
  signin: {
    /** Per (email, client IP): a stranger's guesses never lock the owner out. */
    maxFailures: 5,
    // One client IP may front many users (an office NAT), so it gets a larger budget.
    maxFailuresPerIp: 100,
    windowSeconds: 15 * 60,
  },
  signup: {
    maxPerIp: 20,
    windowSeconds: 60 * 60,
  },
  /**
   * One scrypt keeps one core busy, so more hashes at once than cores only makes each
   * slower. One waiting per slot keeps the cores busy between requests (README.md).
   */
  hash: {
    concurrency: os.availableParallelism(),
    queue: os.availableParallelism(),
  },
};

export const configSpec = {
  ...baseEnv,
  ...sessionEnv,
  ...mongoEnv,
  SESSION_TTL_SECONDS: env.int(atLeastOne).default(authDefaults.sessionTtlSeconds),
  SIGNIN_MAX_FAILURES: env.int(atLeastOne).default(authDefaults.signin.maxFailures),
  SIGNIN_MAX_FAILURES_PER_IP: env.int(atLeastOne).default(authDefaults.signin.maxFailuresPerIp),
  SIGNIN_WINDOW_SECONDS: env.int(atLeastOne).default(authDefaults.signin.windowSeconds),
  SIGNUP_MAX_PER_IP: env.int(atLeastOne).default(authDefaults.signup.maxPerIp),
  SIGNUP_WINDOW_SECONDS: env.int(atLeastOne).default(authDefaults.signup.windowSeconds),
  HASH_CONCURRENCY: env.int(atLeastOne).default(authDefaults.hash.concurrency),
  /** 0 is allowed: no waiting at all, everything beyond the slots is refused. */
  HASH_QUEUE: env.int().default(authDefaults.hash.queue),
  /**
   * Read by glibc when the process starts, not by this code: `glibc.malloc.hugetlb=1` puts
   * scrypt's 32 MiB block in transparent huge pages (services/hash-memory.ts). Declared here
   * so the manifests are checked against it; the service logs at start whether it took effect.
   */
  GLIBC_TUNABLES: env.string().optional(),
};

export const loadServiceConfig = () => loadConfig(configSpec);
