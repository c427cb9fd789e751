import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { readContractExchanges, RecordedExchange } from '@ticketing/common/testing';
import { openapi as authApi } from '../../../auth/src/openapi';
import { openapi as ticketsApi } from '../../../tickets/src/openapi';
import { openapi as ordersApi } from '../../../orders/src/openapi';
import { openapi as paymentsApi } from '../../../payments/src/openapi';

// The OpenAPI documents cannot drift from the code: every request the services' route tests
// make through supertest is recorded (common's recordContractExchanges, on when
// CONTRACT_RECORD=<dir>) and replayed here against the service's document. The operation
// must exist, the status must be documented, the body must match the documented schema and
// a documented Retry-After must be sent.
//
// When CONTRACT_RECORD names a directory that already holds recordings of all four services
// (a unit run made with the variable set), they are used; otherwise this suite runs the
// route tests itself with the recorder on.

const ROOT = path.resolve(__dirname, '../../..');
const SERVICES = ['auth', 'tickets', 'orders', 'payments'] as const;
type Service = (typeof SERVICES)[number];
type Doc = { paths: Record<string, Record<string, Operation>> };
type Operation = { responses: Record<string, Response | { $ref: string }> };
type Response = { content?: Record<string, { schema: object }>; headers?: Record<string, unknown> };
const documents: Record<Service, Doc> = {
  auth: authApi,
  tickets: ticketsApi,
  orders: ordersApi,
  payments: paymentsApi,
} as unknown as Record<Service, Doc>;

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
for (const s of SERVICES) ajv.addSchema(documents[s], s);

const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

function resolveResponse(doc: Doc, r: Response | { $ref: string }): { response: Response; at: string } {
  if ('$ref' in r && typeof r.$ref === 'string') {
    const name = r.$ref.replace('#/components/responses/', '');
    const comps = (doc as unknown as { components: { responses: Record<string, Response> } }).components.responses;
    return { response: comps[name], at: `#/components/responses/${pointer(name)}` };
  }
  return { response: r as Response, at: '' };
}

/** Every way the exchange disagrees with the service's document; empty when it conforms. */
export function contractViolations(e: RecordedExchange): string[] {
  const service = e.service as Service;
  const doc = documents[service];
  if (!doc) return [`no OpenAPI document for service ${e.service}`];
  // A concrete path wins over a templated one (OpenAPI 3.1 "Path Templating Matching").
  const templates = Object.keys(doc.paths).sort((a, b) => Number(a.includes('{')) - Number(b.includes('{')));
  const template = templates.find((t) =>
    new RegExp(`^${t.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`).test(e.path),
  );
  const where = `${e.method} ${e.path} → ${e.status}`;
  const method = e.method.toLowerCase();
  const op = template ? doc.paths[template][method] : undefined;
  // Any other route is the 404 every service gives an unknown route (docs/DESIGN.md §2).
  if (!op && e.status === 404 && JSON.stringify(e.body) === JSON.stringify({ errors: [{ message: 'Not Found' }] })) return [];
  if (!template) return [`${where}: path not documented`];
  if (!op) return [`${where}: method not documented for ${template}`];
  const documented = op.responses[String(e.status)];
  if (!documented) return [`${where}: status ${e.status} not documented for ${e.method} ${template}`];
  const { response, at } = resolveResponse(doc, documented);
  const errors: string[] = [];
  const base = at || `#/paths/${pointer(template, method, 'responses', String(e.status))}`;
  const media = response.content?.['application/json'];
  if (media) {
    if (!/application\/json/.test(e.contentType ?? '')) {
      errors.push(`${where}: documented JSON but Content-Type is ${e.contentType ?? 'absent'}`);
    } else {
      const validate = ajv.getSchema(`${service}${base}/content/application~1json/schema`);
      if (!validate) errors.push(`${where}: cannot compile the schema at ${base}`);
      else if (!validate(e.body)) {
        errors.push(`${where}: body ${JSON.stringify(e.body).slice(0, 300)} does not match: ${ajv.errorsText(validate.errors)}`);
      }
    }
  } else if (e.body !== undefined && !(typeof e.body === 'object' && e.body && Object.keys(e.body).length === 0)) {
    errors.push(`${where}: documented without a body, got ${JSON.stringify(e.body)}`);
  }
  if (response.headers?.['Retry-After'] && e.headers['retry-after'] === undefined) {
    errors.push(`${where}: Retry-After documented but not sent`);
  }
  return errors;
}

async function recordings(): Promise<RecordedExchange[]> {
  const given = process.env.CONTRACT_RECORD;
  if (given && SERVICES.every((s) => readContractExchanges(given, s).length > 0)) return readContractExchanges(given);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'contract-'));
  // The services' HTTP tests (the route tests and the other suites that call the app).
  await promisify(execFile)(
    process.execPath,
    [
      require.resolve('jest/bin/jest'),
      '--ci',
      '--forceExit',
      '--silent',
      '--maxWorkers=2',
      '--selectProjects',
      ...SERVICES,
      '--testPathPattern',
      '(auth|tickets|orders|payments)/src/(routes/)?__tests__/',
    ],
    { cwd: ROOT, env: { ...process.env, CONTRACT_RECORD: dir }, maxBuffer: 64 * 1024 * 1024 },
  ).catch((err: { stderr?: string }) => {
    throw new Error(`the services' route tests failed while recording:\n${String(err.stderr ?? err).slice(-4000)}`);
  });
  const all = readContractExchanges(dir);
  fs.rmSync(dir, { recursive: true, force: true });
  return all;
}

let exchanges: RecordedExchange[] = [];
beforeAll(async () => {
  exchanges = await recordings();
}, 600_000);

describe('the OpenAPI contract', () => {
  it('when the route tests of every service ran, then their exchanges were recorded', () => {
    for (const s of SERVICES) {
      expect(exchanges.filter((e) => e.service === s).length).toBeGreaterThan(5);
    }
  });

  it('when every recorded exchange is replayed against its service document, then each conforms', () => {
    const violations = exchanges.flatMap((e) => contractViolations(e).map((v) => `${v}\n    (${e.test ?? '?'})`));
    expect(violations).toEqual([]);
  });

  it('when the route tests ran, then every documented operation was exercised by at least one of them', () => {
    const unexercised: string[] = [];
    for (const s of SERVICES) {
      for (const [template, ops] of Object.entries(documents[s].paths)) {
        for (const method of Object.keys(ops)) {
          const re = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
          const hit = exchanges.some((e) => e.service === s && e.method.toLowerCase() === method && re.test(e.path));
          if (!hit && !['/healthz', '/readyz'].includes(template)) unexercised.push(`${s} ${method} ${template}`);
        }
      }
    }
    expect(unexercised).toEqual([]);
  });
});

describe('the contract check itself', () => {
  const ticket = { id: 'a'.repeat(24), title: 'concert', price: 20, userId: 'u1', version: 0 };
  const json = { 'content-type': 'application/json; charset=utf-8' };
  const exchange = (over: Partial<RecordedExchange>): RecordedExchange => ({
    service: 'tickets',
    method: 'POST',
    path: '/api/tickets',
    query: '',
    status: 201,
    headers: json,
    body: ticket,
    contentType: json['content-type'],
    ...over,
  });

  it('when an exchange matches the document, then it has no violation', () => {
    expect(contractViolations(exchange({}))).toEqual([]);
  });

  it('when a status is not documented, then it is a violation', () => {
    expect(contractViolations(exchange({ status: 418 }))).toEqual([
      'POST /api/tickets → 418: status 418 not documented for POST /api/tickets',
    ]);
  });

  it('when the body has the wrong shape, then it is a violation', () => {
    const [v, ...rest] = contractViolations(exchange({ body: { ...ticket, title: undefined, price: '20' } }));
    expect(rest).toEqual([]);
    expect(v).toMatch(/POST \/api\/tickets → 201: body .* does not match: .*title.*price|price.*title/);
  });

  it('when an error body is not the error shape, then it is a violation', () => {
    expect(contractViolations(exchange({ status: 400, body: { message: 'Title is required' } }))[0]).toMatch(
      /does not match/,
    );
  });

  it('when a path or a method is not documented, then only the unknown-route 404 conforms', () => {
    expect(contractViolations(exchange({ path: '/api/tickets/x/y' }))[0]).toMatch(/path not documented/);
    expect(contractViolations(exchange({ method: 'PATCH', path: `/api/tickets/${ticket.id}`, status: 200 }))[0]).toMatch(
      /method not documented/,
    );
    const notFound = { status: 404, body: { errors: [{ message: 'Not Found' }] } };
    expect(contractViolations(exchange({ method: 'PATCH', path: `/api/tickets/${ticket.id}`, ...notFound }))).toEqual([]);
  });

  it('when a 503 comes without Retry-After, then it is a violation', () => {
    const body = { errors: [{ message: 'Service temporarily unavailable, try again shortly' }] };
    expect(contractViolations(exchange({ status: 503, body }))).toEqual([
      'POST /api/tickets → 503: Retry-After documented but not sent',
    ]);
    expect(contractViolations(exchange({ status: 503, body, headers: { ...json, 'retry-after': '2' } }))).toEqual([]);
  });
});
