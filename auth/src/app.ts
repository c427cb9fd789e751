import { createApp, Logger } from '@ticketing/common';
import { authDefaults } from './config';
import { createOpenapiRouter } from './openapi';
import { createCurrentUserRouter } from './routes/current-user';
import { createSigninRouter } from './routes/signin';
import { createSignoutRouter } from './routes/signout';
import { createSignupRouter } from './routes/signup';
import { HashGate } from './services/hash-gate';
import { PasswordHasher, ScryptParams } from './services/password';
import { SigninLimiter, SigninLimits } from './services/signin-limiter';
import { SignupLimiter, SignupLimits } from './services/signup-limiter';

/** What the auth app is built from: index.ts passes the config, tests their doubles. */
export interface AppOptions {
  logger: Logger;
  jwtKey: string;
  cookieSecure: boolean;
  isReady?: () => boolean;
  sessionTtlSeconds?: number;
  signinLimits?: SigninLimits;
  signupLimits?: SignupLimits;
  /** The process's one cap on concurrent hashes, shared by every route that hashes. */
  hashGate?: HashGate;
  /** Tests lower the scrypt cost; the service always runs with the default. */
  scryptParams?: ScryptParams;
}

export function buildApp(o: AppOptions) {
  const session = { jwtKey: o.jwtKey, ttlSeconds: o.sessionTtlSeconds ?? authDefaults.sessionTtlSeconds };
  const hasher = new PasswordHasher(o.scryptParams);
  const hashGate = o.hashGate ?? new HashGate(authDefaults.hash);
  const signinLimiter = new SigninLimiter(o.signinLimits ?? authDefaults.signin);
  const signupLimiter = new SignupLimiter(o.signupLimits ?? authDefaults.signup);
  return createApp({
    logger: o.logger,
    jwtKey: o.jwtKey,
    cookieSecure: o.cookieSecure,
    sessionTtlSeconds: session.ttlSeconds,
    isReady: o.isReady,
    routers: [
      createOpenapiRouter(),
      createSignupRouter({ hasher, hashGate, session, limiter: signupLimiter, logger: o.logger }),
      createSigninRouter({ hasher, hashGate, session, limiter: signinLimiter, logger: o.logger }),
      createSignoutRouter(),
      createCurrentUserRouter(),
    ],
  });
}
