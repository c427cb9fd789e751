import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import { sessionCookieValue, signSessionToken, UserPayload } from '../http/session';

/** A random id of the shape the services use for users, orders and tickets. */
export function newId(): string {
  return new mongoose.Types.ObjectId().toHexString();
}

/** A JWT key for one test run; tests never share or commit keys. */
export function testJwtKey(): string {
  return randomBytes(32).toString('hex');
}

/**
 * The Cookie header of a signed-in user, built the same way auth builds it, so route tests
 * of other services need no running auth service.
 */
export function signinCookie(
  user: Partial<UserPayload> = {},
  jwtKey = process.env.JWT_KEY,
  ttlSeconds?: number,
): string[] {
  if (!jwtKey) throw new Error('signinCookie needs a JWT key (set JWT_KEY in the test setup)');
  const payload = { id: user.id ?? newId(), email: user.email ?? `user-${randomBytes(3).toString('hex')}@test.com` };
  return [sessionCookieValue(signSessionToken(payload, jwtKey, ttlSeconds))];
}
