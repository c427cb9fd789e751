import pino, { Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Structured JSON logs, one logger per service. Child loggers carry the request id
 * (HTTP) or the event id (bus) so one story can be followed across services.
 */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers.cookie', 'password', '*.password'], remove: true },
  });
}
