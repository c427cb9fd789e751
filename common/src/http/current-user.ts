import type { NextFunction, Request, Response } from 'express';
import { CurrentUser, verifySessionToken } from './session';
import { NotAuthorizedError } from '../errors';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      currentUser?: CurrentUser;
      id?: string;
    }
  }
}

/** Reads the session JWT, if any; never fails: anything invalid just means signed out. */
export function currentUser(jwtKey: string) {
  return (req: Request, _res: Response, next: NextFunction) => {
    const session = req.session as { jwt?: unknown } | null | undefined;
    const user = verifySessionToken(session?.jwt, jwtKey);
    if (user) req.currentUser = user;
    else delete req.currentUser;
    next();
  };
}

export function requireAuth(req: Request, _res: Response, next: NextFunction) {
  if (!req.currentUser) throw new NotAuthorizedError();
  next();
}
