// Kept in the emitted declarations, so that every service gets cookie-session's typing
// of `req.session` and `req.sessionOptions`.
/// <reference types="cookie-session" preserve="true" />
import { createSecretKey, KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import cookieSession from 'cookie-session';
import type { RequestHandler } from 'express';

export interface UserPayload {
  id: string;
  email: string;
}

/** What `currentUser` exposes: the signed claims, including when they were issued and expire. */
export interface CurrentUser extends UserPayload {
  iat: number;
  exp: number;
}

export const SESSION_COOKIE = 'session';
export const DEFAULT_SESSION_TTL_SECONDS = 60 * 60 * 24;

/**
 * The HS256 key as a KeyObject, made once per key. Given a string, jsonwebtoken builds a
 * key object on every call — first trying it as a PEM public key, which throws and builds a
 * stack trace — which profiled at 7 % of a busy service's CPU.
 */
const keyObjects = new Map<string, KeyObject>();
function hmacKey(key: string): KeyObject {
  let k = keyObjects.get(key);
  if (!k) {
    k = createSecretKey(Buffer.from(key, 'utf8'));
    if (keyObjects.size > 8) keyObjects.clear();
    keyObjects.set(key, k);
  }
  return k;
}

/** Who issues session tokens and for whom: a token minted for anything else is refused. */
export const SESSION_ISSUER = 'ticketing-auth';
export const SESSION_AUDIENCE = 'ticketing';

/**
 * HS256 JWT with an expiry (the GitTix API had none, so a stolen cookie lived forever),
 * an issuer and an audience.
 */
export function signSessionToken(
  user: UserPayload,
  key: string,
  ttlSeconds = DEFAULT_SESSION_TTL_SECONDS,
): string {
  return jwt.sign({ id: user.id, email: user.email }, hmacKey(key), {
    algorithm: 'HS256',
    expiresIn: ttlSeconds,
    issuer: SESSION_ISSUER,
    audience: SESSION_AUDIENCE,
  });
}

/**
 * The claims of a valid token, or null. Pinning the algorithm rejects `alg: none` and
 * tokens signed with anything but our key; bad, expired or foreign tokens mean "signed out".
 */
export function verifySessionToken(token: unknown, key: string): CurrentUser | null {
  if (typeof token !== 'string' || token.length === 0) return null;
  try {
    const claims = jwt.verify(token, hmacKey(key), {
      algorithms: ['HS256'],
      issuer: SESSION_ISSUER,
      audience: SESSION_AUDIENCE,
    });
    if (typeof claims !== 'object' || claims === null) return null;
    const { id, email, iat, exp } = claims as Record<string, unknown>;
    if (typeof id !== 'string' || typeof email !== 'string') return null;
    if (typeof iat !== 'number' || typeof exp !== 'number') return null;
    return { id, email, iat, exp };
  } catch {
    return null;
  }
}

/**
 * The cookie holds `{ jwt }` unsigned, as in GitTix, so every service (and the Next.js
 * server) can read it; integrity comes from the JWT signature, not the cookie.
 */
export function sessionMiddleware(opts: { secure: boolean; ttlSeconds?: number }): RequestHandler {
  return cookieSession({
    name: SESSION_COOKIE,
    signed: false,
    httpOnly: true,
    sameSite: 'lax',
    secure: opts.secure,
    maxAge: (opts.ttlSeconds ?? DEFAULT_SESSION_TTL_SECONDS) * 1000,
  });
}

/** A Cookie header value that a service reading `session` accepts as this user's session. */
export function sessionCookieValue(token: string): string {
  return `${SESSION_COOKIE}=${Buffer.from(JSON.stringify({ jwt: token })).toString('base64')}`;
}

