import type { NextFunction, Request, Response } from 'express';
import { NotFoundError } from '../errors';

const OBJECT_ID = /^[0-9a-fA-F]{24}$/;

export function isObjectId(value: unknown): value is string {
  return typeof value === 'string' && OBJECT_ID.test(value);
}

/**
 * A malformed id names nothing that can exist, so it is a 404 (GitTix answered 400,
 * and a raw cast error elsewhere became a 500).
 */
export function requireObjectIdParam(name = 'id') {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (!isObjectId(req.params[name])) throw new NotFoundError();
    next();
  };
}
