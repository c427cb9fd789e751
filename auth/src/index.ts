import { createLogger, main, runtimeOptions, runService } from '@ticketing/common';
import { buildApp } from './app';
import { loadServiceConfig, SERVICE_NAME } from './config';
import { backfillUserEmails } from './models/user';
import { HashGate } from './services/hash-gate';
import { hashMemory, HUGE_PAGES_TUNABLE } from './services/hash-memory';
import { SigninLimiter } from './services/signin-limiter';
import { SignupLimiter } from './services/signup-limiter';

main(SERVICE_NAME, async () => {
  const config = loadServiceConfig();
  const logger = createLogger(SERVICE_NAME, config.LOG_LEVEL);
  // scrypt runs on libuv's thread pool (4 threads unless told): with more slots than threads
  // the cap would hide a queue, and DNS lookups would wait behind hashes. The pool starts at
  // its first use, which is after this line (connecting to MongoDB resolves its host).
  process.env.UV_THREADPOOL_SIZE ??= String(config.HASH_CONCURRENCY + 4);
  const signinLimits = {
    maxFailures: config.SIGNIN_MAX_FAILURES,
    maxFailuresPerIp: config.SIGNIN_MAX_FAILURES_PER_IP,
    windowSeconds: config.SIGNIN_WINDOW_SECONDS,
  };
  const signupLimits = { maxPerIp: config.SIGNUP_MAX_PER_IP, windowSeconds: config.SIGNUP_WINDOW_SECONDS };
  // One gate for the whole process: the cap is on this machine's cores, whatever the route.
  const hashGate = new HashGate({ concurrency: config.HASH_CONCURRENCY, queue: config.HASH_QUEUE });
  // FerretDB has no TTL indexes: without these sweeps, every IP or (email, IP) that ever
  // tried would keep a counter document forever.
  const limiters = [
    { name: 'sign-in', limiter: new SigninLimiter(signinLimits), everySeconds: config.SIGNIN_WINDOW_SECONDS },
    { name: 'sign-up', limiter: new SignupLimiter(signupLimits), everySeconds: config.SIGNUP_WINDOW_SECONDS },
  ];
  let sweepers: NodeJS.Timeout[] = [];

  return runService({
    name: SERVICE_NAME,
    logger,
    ...runtimeOptions(config),
    app: ({ isReady }) =>
      buildApp({
        logger,
        jwtKey: config.JWT_KEY,
        cookieSecure: config.COOKIE_SECURE,
        isReady,
        sessionTtlSeconds: config.SESSION_TTL_SECONDS,
        signinLimits,
        signupLimits,
        hashGate,
      }),
    onStart: async () => {
      // Before the first request: sign-in finds users only through their email entries.
      const added = await backfillUserEmails();
      if (added > 0) logger.info({ added }, 'email entries added for existing users');
      logger.info({ hash: hashGate.limits }, 'password hashing capacity');
      const memory = hashMemory();
      if (memory.hugePages) logger.info({ hugePages: true, reason: memory.reason }, 'password hashing memory');
      else
        logger.warn(
          { hugePages: false, reason: memory.reason },
          `password hashing memory: scrypt's block is not in huge pages, each hash costs about a third more CPU (set GLIBC_TUNABLES=${HUGE_PAGES_TUNABLE})`,
        );
      sweepers = limiters.map(({ name, limiter, everySeconds }) =>
        setInterval(
          () =>
            limiter
              .deleteExpired()
              .catch((err: Error) => logger.warn({ err: err.message }, `sweeping ${name} counters failed`)),
          everySeconds * 1000,
        ).unref(),
      );
    },
    onStop: async () => {
      sweepers.forEach(clearInterval);
    },
  });
});
