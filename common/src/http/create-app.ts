import express, { Express, NextFunction, Request, Response, Router } from 'express';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { sessionMiddleware } from './session';
import { currentUser } from './current-user';
import { rejectQueryOperators } from './reject-operators';
import { errorHandler } from './error-handler';
import { refuseCrossSite } from './csrf';
import { NotFoundError } from '../errors';
import { metrics } from '../metrics/metrics';
import { context, trace } from '@opentelemetry/api';
import { contextFrom, SpanKind, tracer } from '../tracing/tracing';

export interface AppOptions {
  logger: Logger;
  /** Omitted by services without users (expiration): then no session middleware. */
  jwtKey?: string;
  cookieSecure?: boolean;
  /** Lifetime of the session cookie; match the JWT expiry. */
  sessionTtlSeconds?: number;
  /** Mounted in order after the shared middleware. */
  routers: Router[];
  /** Answers whether the service can do its work now (DB and bus connected). */
  isReady?: () => boolean;
  /** JSON bodies above this are refused with 413; our routes take a few short fields. */
  bodyLimit?: string;
  /**
   * Origins other than the request's own host whose pages may make state-changing calls
   * (a web app served from another host). Default: none.
   */
  allowedOrigins?: string[];
}

/** Request id from the gateway (x-request-id) or a new one; echoed back and logged. */
function requestContext(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const incoming = req.header('x-request-id');
    req.id = incoming && /^[\w.:-]{1,128}$/.test(incoming) ? incoming : randomUUID();
    res.setHeader('x-request-id', req.id);
    const started = process.hrtime.bigint();
    // A server span, continuing the caller's trace (traceparent) when there is one; the
    // rest of the request (routes, outbox writes) runs inside it.
    const parent = contextFrom({ traceparent: req.header('traceparent'), tracestate: req.header('tracestate') });
    const span = tracer().startSpan(`${req.method} ${req.path}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method } }, parent);
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      // The route pattern, not the URL: ids would make a series per resource.
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      const labels = { method: req.method, route, status: String(res.statusCode) };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, ms / 1000);
      span.updateName(`${req.method} ${route}`);
      span.setAttribute('http.route', route);
      span.setAttribute('http.response.status_code', res.statusCode);
      span.end();
      logger.info(
        { reqId: req.id, method: req.method, url: req.originalUrl, status: res.statusCode, ms: Math.round(ms * 10) / 10 },
        'request',
      );
    });
    context.with(trace.setSpan(parent, span), next);
  };
}

/**
 * The express app every HTTP service shares: the same session, auth, body rules, health
 * routes, 404 and error shape. A service passes only its own routers. No connections are
 * made here, so tests import the app directly.
 */
export function createApp(opts: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  // Behind ingress-nginx (or the local gateway): trust one proxy hop so `secure`
  // cookies are sent when the client connection was HTTPS.
  app.set('trust proxy', 1);
  app.use(requestContext(opts.logger));

  app.get('/healthz', (_req, res) => {
    res.status(200).json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    const ready = opts.isReady ? opts.isReady() : true;
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready' });
  });

  app.use(refuseCrossSite(opts.allowedOrigins));
  app.use(express.json({ limit: opts.bodyLimit ?? '16kb' }));
  app.use(rejectQueryOperators);
  if (opts.jwtKey) {
    app.use(sessionMiddleware({ secure: opts.cookieSecure ?? true, ttlSeconds: opts.sessionTtlSeconds }));
    app.use(currentUser(opts.jwtKey));
  }
  for (const router of opts.routers) app.use(router);

  app.use(() => {
    throw new NotFoundError();
  });
  app.use(errorHandler(opts.logger));
  return app;
}
