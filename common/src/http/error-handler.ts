import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { CustomError, PayloadTooLargeError, RequestValidationError, TooManyRequestsError } from '../errors';

/** body-parser's own errors carry a status and a type; map them to our shapes. */
function fromBodyParser(err: unknown): CustomError | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { type?: string; status?: number };
  if (e.type === 'entity.too.large') return new PayloadTooLargeError();
  if (e.type === 'entity.parse.failed') return new RequestValidationError([{ message: 'Malformed JSON body' }]);
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500 && typeof e.type === 'string') {
    return new RequestValidationError([{ message: 'Invalid request body' }]);
  }
  return undefined;
}

/**
 * The one place that writes error JSON. Known errors keep their status and messages;
 * anything else is logged with its stack and the request id and becomes a bare 500.
 */
export function errorHandler(logger: Logger) {
  // express recognises an error handler by its four parameters.
  return (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const known = err instanceof CustomError ? err : fromBodyParser(err);
    if (known) {
      if (known instanceof TooManyRequestsError) res.setHeader('Retry-After', String(known.retryAfterSeconds));
      res.status(known.statusCode).json({ errors: known.serializeErrors() });
      return;
    }
    logger.error({ err, reqId: req.id, method: req.method, url: req.originalUrl }, 'unhandled error');
    if (res.headersSent) return;
    res.status(500).json({ errors: [{ message: 'Something went wrong' }] });
  };
}
