import type { NextFunction, Request, Response } from 'express';
import { RequestValidationError } from '../errors';

/** The first key path that a MongoDB driver could read as an operator or a nested path. */
function findOperator(value: unknown, path: string, depth = 0): string | undefined {
  if (depth > 20) return path || 'body';
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findOperator(value[i], path, depth + 1);
      if (hit) return hit;
    }
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, child] of Object.entries(value)) {
    if (key.startsWith('$') || key.includes('.')) return path || key;
    const hit = findOperator(child, path || key, depth + 1);
    if (hit) return hit;
  }
  return undefined;
}

/**
 * A body such as `{"email": {"$gt": ""}}` would turn an equality lookup into a query
 * operator. Field validators reject non-strings too, but this guard also covers routes
 * that forget to, so no input reaches a query as an operator.
 */
export function rejectQueryOperators(req: Request, _res: Response, next: NextFunction) {
  const field = findOperator(req.body, '');
  if (field) throw new RequestValidationError([{ message: 'Invalid input', field }]);
  next();
}
