import { createApp, Logger } from '@ticketing/common';
import { authDefaults } from './config';
import { currentUserRouter } from './routes/current-user';
import { signinRouter } from './routes/signin';
import { signoutRouter } from './routes/signout';
import { signupRouter } from './routes/signup';
import { PasswordHasher, ScryptParams } from './services/password';
import { SigninLimiter, SigninLimits } from './services/signin-limiter';

export interface AuthAppOptions {
  logger: Logger;
  jwtKey: string;
  cookieSecure: boolean;
  isReady?: () => boolean;
  sessionTtlSeconds?: number;
  signinLimits?: SigninLimits;
  /** Tests lower the scrypt cost; the service always runs with the default. */
  scryptParams?: ScryptParams;
}

export function buildApp(o: AuthAppOptions) {
  const session = { jwtKey: o.jwtKey, ttlSeconds: o.sessionTtlSeconds ?? authDefaults.sessionTtlSeconds };
  const hasher = new PasswordHasher(o.scryptParams);
  const limiter = new SigninLimiter(o.signinLimits ?? authDefaults.signin);
  return createApp({
    logger: o.logger,
    jwtKey: o.jwtKey,
    cookieSecure: o.cookieSecure,
    sessionTtlSeconds: session.ttlSeconds,
    isReady: o.isReady,
    routers: [
      signupRouter({ hasher, session }),
      signinRouter({ hasher, session, limiter, logger: o.logger }),
      signoutRouter,
      currentUserRouter,
    ],
  });
}
