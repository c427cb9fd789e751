import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import {
  CustomError,
  NotFoundError,
  PayloadTooLargeError,
  RequestValidationError,
  ServiceUnavailableError,
  TooManyRequestsError,
  isTransientError,
} from '../errors';

/**
 * Errors express raises itself carry a status (and, from body-parser, a type); map them
 * to our shapes rather than letting them fall through to the generic 500.
 */
function fromExpress(err: unknown): CustomError | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { type?: string; status?: number; message?: string };
  // A path parameter that is not valid percent-encoding names nothing: same as a bad id.
  if (e.status === 400 && e.type === undefined && /^Failed to decode param/.test(e.message ?? '')) {
    return new NotFoundError();
  }
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
    let known = err instanceof CustomError ? err : fromExpress(err);
    if (!known && isTransientError(err)) {
      // A dependency is down: the request was fine, so say when to come back, not "500".
      logger.warn({ err, reqId: req.id, method: req.method, url: req.originalUrl }, 'dependency unavailable');
      known = new ServiceUnavailableError('Service temporarily unavailable, try again shortly', 2);
    }
    if (known) {
      if (res.headersSent) return;
      if (known instanceof TooManyRequestsError || known instanceof ServiceUnavailableError) {
        res.setHeader('Retry-After', String(known.retryAfterSeconds));
      }
      res.status(known.statusCode).json({ errors: known.serializeErrors() });
      return;
    }
    logger.error({ err, reqId: req.id, method: req.method, url: req.originalUrl }, 'unhandled error');
    if (res.headersSent) return;
    res.status(500).json({ errors: [{ message: 'Something went wrong' }] });
  };
}
