import request from 'supertest';
import { captureLogger } from '@ticketing/common/testing';
import { AppOptions, buildApp } from '../app';
import { HashGate } from '../services/hash-gate';

/** Real scrypt at a cost a test can afford; stored hashes name it, so nothing else changes. */
export const FAST_SCRYPT = { N: 1024, r: 8, p: 1 };

/**
 * The auth app as the service builds it, logging into memory, over plain HTTP cookies.
 * Its hashing gate is wide, so tests that fire requests at once for other reasons (races)
 * are never refused for capacity; the capacity tests pass their own `hashGate`.
 */
export function testApp(overrides: Partial<AppOptions> = {}) {
  const { logger, lines } = captureLogger();
  const jwtKey = process.env.JWT_KEY as string;
  const app = buildApp({
    logger,
    jwtKey,
    cookieSecure: false,
    scryptParams: FAST_SCRYPT,
    hashGate: new HashGate({ concurrency: 4, queue: 1_000 }),
    ...overrides,
  });
  return { app, lines };
}

type App = ReturnType<typeof testApp>['app'];

type Target = App | string;

export const signup = (app: Target, email: string, password = 'password123', ip = '203.0.113.200') =>
  request(app).post('/api/users/signup').set('X-Forwarded-For', ip).send({ email, password });

export const signin = (app: Target, email: string, password = 'password123', ip = '203.0.113.1') =>
  request(app).post('/api/users/signin').set('X-Forwarded-For', ip).send({ email, password });

/** The `session=...` pair of a response, ready to send back as a Cookie header. */
export function sessionCookie(res: request.Response): string[] {
  const header = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const cookie = header.find((c) => c.startsWith('session='));
  if (!cookie) throw new Error('no session cookie in the response');
  return [cookie.split(';')[0]];
}
