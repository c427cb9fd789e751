import type { Request } from 'express';
import { signSessionToken, UserPayload } from '@ticketing/common';

export interface SessionSettings {
  jwtKey: string;
  ttlSeconds: number;
}

/**
 * What cookie-session adds to the request. Declared here because common's type
 * declarations do not carry @types/cookie-session's augmentation of express.
 */
interface CookieSessionRequest {
  session: { jwt?: string } | null;
  sessionOptions: { maxAge?: number };
}

const withSession = (req: Request) => req as Request & CookieSessionRequest;

/** Signs the user in: the JWT goes into the session cookie, both living `ttlSeconds`. */
export function startSession(req: Request, user: UserPayload, settings: SessionSettings): void {
  const r = withSession(req);
  r.session = { jwt: signSessionToken({ id: user.id, email: user.email }, settings.jwtKey, settings.ttlSeconds) };
  // createApp's cookie lives for the default TTL; match it to the token's own expiry.
  r.sessionOptions.maxAge = settings.ttlSeconds * 1000;
}

/** Clears the session cookie. */
export function endSession(req: Request): void {
  withSession(req).session = null;
}
