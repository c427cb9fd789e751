import { createLogger, main, runService } from '@ticketing/common';
import { buildApp } from './app';
import { loadServiceConfig } from './config';
import { SigninLimiter } from './services/signin-limiter';

main('auth', async () => {
  const config = loadServiceConfig();
  const logger = createLogger('auth', config.LOG_LEVEL);
  const signinLimits = {
    maxFailures: config.SIGNIN_MAX_FAILURES,
    maxFailuresPerIp: config.SIGNIN_MAX_FAILURES_PER_IP,
    windowSeconds: config.SIGNIN_WINDOW_SECONDS,
  };
  // FerretDB has no TTL indexes: without this, every email or IP that ever failed a
  // sign-in would keep a counter document forever.
  const limiter = new SigninLimiter(signinLimits);
  let sweeper: NodeJS.Timeout | undefined;
  const sweep = () =>
    limiter.deleteExpired().catch((err: Error) => logger.warn({ err: err.message }, 'sweeping sign-in counters failed'));

  return runService({
    name: 'auth',
    logger,
    port: config.PORT,
    mongoUri: config.MONGO_URI,
    app: ({ isReady }) =>
      buildApp({
        logger,
        jwtKey: config.JWT_KEY,
        cookieSecure: config.COOKIE_SECURE,
        isReady,
        sessionTtlSeconds: config.SESSION_TTL_SECONDS,
        signinLimits,
      }),
    onStart: async () => {
      sweeper = setInterval(sweep, config.SIGNIN_WINDOW_SECONDS * 1000).unref();
    },
    onStop: async () => {
      clearInterval(sweeper);
    },
  });
});
