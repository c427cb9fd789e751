import fs from 'node:fs';
import path from 'node:path';

/** One HTTP exchange a route test made through supertest, as the contract test replays it. */
export interface RecordedExchange {
  service: string;
  /** The test file that made the request (for the contract test's failure messages). */
  test?: string;
  method: string;
  /** The request path, without the query string. */
  path: string;
  query: string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body; undefined when the response had none or it was not JSON. */
  body?: unknown;
  contentType?: string;
}

/** The variable that turns recording on: a directory the JSON-lines files are written to. */
export const CONTRACT_RECORD_ENV = 'CONTRACT_RECORD';

let installed = false;

/**
 * In a service's jest setup file: when CONTRACT_RECORD=<dir> is set, every request a test
 * makes through supertest is appended, with its response, to `<dir>/<service>.<pid>.jsonl`
 * (one file per jest worker, so parallel workers never interleave a line). Without the
 * variable it does nothing. It wraps supertest's `Test.prototype.assert`, which every
 * request passes through once its response is in, however the test awaits it.
 */
export function recordContractExchanges(service: string, dir = process.env[CONTRACT_RECORD_ENV]): void {
  if (!dir || installed) return;
  installed = true;
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${service}.${process.pid}.jsonl`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Test = require('supertest/lib/test') as { prototype: unknown };
  const proto = Test.prototype as {
    assert: (this: SupertestTest, err: unknown, res: SupertestResponse | undefined, fn: unknown) => unknown;
  };
  const original = proto.assert;
  proto.assert = function (this: SupertestTest, err, res, fn) {
    if (res) {
      try {
        fs.appendFileSync(file, JSON.stringify(toExchange(service, this, res)) + '\n');
      } catch {
        // Recording must never change a test's outcome.
      }
    }
    return original.call(this, err, res, fn);
  };
}

interface SupertestTest {
  method: string;
  url: string;
}
interface SupertestResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
  text?: string;
}

function toExchange(service: string, req: SupertestTest, res: SupertestResponse): RecordedExchange {
  const url = new URL(req.url, 'http://localhost');
  const contentType = String(res.headers['content-type'] ?? '');
  const isJson = /^application\/(.+\+)?json/.test(contentType);
  return {
    service,
    test: currentTestPath(),
    method: req.method.toUpperCase(),
    path: url.pathname,
    query: url.search,
    status: res.status,
    headers: res.headers,
    body: isJson ? res.body : undefined,
    contentType: contentType || undefined,
  };
}

function currentTestPath(): string | undefined {
  const g = globalThis as { expect?: { getState?: () => { testPath?: string; currentTestName?: string } } };
  const state = g.expect?.getState?.();
  return state ? `${state.testPath ?? ''} › ${state.currentTestName ?? ''}` : undefined;
}

/** Reads every exchange recorded in `dir` (all services, or one). */
export function readContractExchanges(dir: string, service?: string): RecordedExchange[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl') && (!service || f.startsWith(`${service}.`)))
    .flatMap((f) =>
      fs
        .readFileSync(path.join(dir, f), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as RecordedExchange),
    );
}
