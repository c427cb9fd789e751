import pino, { Logger } from 'pino';

export interface CapturedLog {
  level: number;
  msg?: string;
  [key: string]: unknown;
}

/** A real pino logger whose lines are kept in memory, so tests can assert what was logged. */
export function captureLogger(): { logger: Logger; lines: CapturedLog[] } {
  const lines: CapturedLog[] = [];
  const logger = pino(
    { level: 'debug' },
    {
      write(line: string) {
        lines.push(JSON.parse(line));
      },
    },
  );
  return { logger, lines };
}
