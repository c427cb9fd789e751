import type { Request } from 'express';
import { signSessionToken, UserPayload } from '@ticketing/common';

export interface SessionSettings {
  jwtKey: string;
  ttlSeconds: number;
}

/** Signs the user in: the JWT goes into the session cookie (createApp gives both one TTL). */
export function startSession(req: Request, user: UserPayload, settings: SessionSettings): void {
  req.session = { jwt: signSessionToken({ id: user.id, email: user.email }, settings.jwtKey, settings.ttlSeconds) };
}

/** Clears the session cookie. */
export function endSession(req: Request): void {
  req.session = null;
}
