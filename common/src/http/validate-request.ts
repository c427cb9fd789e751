import type { NextFunction, Request, Response } from 'express';
import { validationResult } from 'express-validator';
import { RequestValidationError, SerializedError } from '../errors';

/** Turns express-validator's findings into one 400, one entry per field (first message wins). */
export function validateRequest(req: Request, _res: Response, next: NextFunction) {
  const result = validationResult(req);
  if (result.isEmpty()) return next();
  const seen = new Set<string>();
  const errors: SerializedError[] = [];
  for (const e of result.array()) {
    const field = e.type === 'field' ? e.path : undefined;
    const key = field ?? `#${errors.length}`;
    if (seen.has(key)) continue;
    seen.add(key);
    errors.push(field ? { message: String(e.msg), field } : { message: String(e.msg) });
  }
  throw new RequestValidationError(errors);
}
