import type { NextFunction, Request, Response } from 'express';
import { ForbiddenError, UnsupportedMediaTypeError } from '../errors';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The host the client addressed: the proxy's X-Forwarded-Host, else Host. */
function requestHost(req: Request): string | undefined {
  const forwarded = req.header('x-forwarded-host')?.split(',')[0]?.trim();
  return (forwarded || req.header('host'))?.toLowerCase();
}

function hasBody(req: Request): boolean {
  const length = req.header('content-length');
  if (length !== undefined) return Number(length) > 0;
  return req.header('transfer-encoding') !== undefined;
}

const isJson = (contentType: string | undefined) =>
  !!contentType && /^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(contentType.trim());

/**
 * Cross-site request refusal for every state-changing route (POST, PUT, PATCH, DELETE),
 * before any route sees the request, so that no service can forget it. SameSite=Lax alone
 * does not stop a sibling subdomain (same-site), and a cross-site form can POST text/plain.
 *
 * - `Sec-Fetch-Site: cross-site | same-site` → 403 (browsers set it; only our own pages
 *   send `same-origin`, and typed URLs send `none`).
 * - An `Origin` other than the host the request was sent to → 403. No `Origin` (curl, the
 *   web app's server-side fetch) is not refused for that alone: such clients are not a
 *   browser acting with a victim's cookie.
 * - A body that is not JSON → 415: a cross-site form cannot send application/json without
 *   a CORS preflight, which we never grant. A request with no body (a bare signout) passes.
 */
export function refuseCrossSite(allowedOrigins: string[] = []) {
  const allowed = new Set(allowedOrigins.map((o) => o.toLowerCase().replace(/\/$/, '')));
  return (req: Request, _res: Response, next: NextFunction) => {
    if (SAFE_METHODS.has(req.method)) return next();
    const site = req.header('sec-fetch-site')?.toLowerCase();
    if (site === 'cross-site' || site === 'same-site') {
      return next(new ForbiddenError('Cross-site requests are not allowed'));
    }
    const origin = req.header('origin');
    if (origin !== undefined) {
      let host: string | undefined;
      try {
        host = new URL(origin).host.toLowerCase();
      } catch {
        host = undefined; // "null" (sandboxed frames, some redirects) or garbage
      }
      const sameHost = host !== undefined && host === requestHost(req);
      if (!sameHost && !allowed.has(origin.toLowerCase().replace(/\/$/, ''))) {
        return next(new ForbiddenError('Cross-site requests are not allowed'));
      }
    }
    if (hasBody(req) && !isJson(req.header('content-type'))) return next(new UnsupportedMediaTypeError());
    next();
  };
}
