import http from 'node:http';
import type { AddressInfo } from 'node:net';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createGateway } = require('../../../scripts/stack/gateway');

// The local stand-in for the ingress: a path that no service serves is a 404 in the error
// shape, never a 5xx, whether or not the web app is part of the stack.
let upstream: http.Server;
let upstreamPort: number;

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ path: req.url, forwardedFor: req.headers['x-forwarded-for'], host: req.headers.host }));
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  upstreamPort = (upstream.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => upstream.close(() => r())));

async function through(gw: http.Server, path: string, headers: Record<string, string> = {}) {
  await new Promise<void>((r) => gw.listen(0, '127.0.0.1', () => r()));
  try {
    const res = await fetch(`http://127.0.0.1:${(gw.address() as AddressInfo).port}${path}`, { headers });
    return { status: res.status, body: (await res.json()) as { path?: string; forwardedFor?: string; errors?: unknown } };
  } finally {
    await new Promise<void>((r) => gw.close(() => r()));
  }
}

it.each(['/api/nothing-here', '/api/TICKETS', '/api//tickets', '/api'])(
  'when the stack runs without the web app and %s is asked for, then the answer is 404 in the error shape',
  async (path) => {
    const gw = createGateway({ tickets: upstreamPort }, { clientExpected: false });
    expect(await through(gw, path)).toEqual({ status: 404, body: { errors: [{ message: 'Not Found' }] } });
  },
);

it('when the web app is part of the stack, then an unknown /api path is still a 404, not a page and not a 5xx', async () => {
  const gw = createGateway({ client: upstreamPort }, { clientExpected: true });
  expect((await through(gw, '/api/nothing-here')).status).toBe(404);
  expect((await through(gw, '/tickets/new')).status).toBe(200);
});

it('when a known route is asked for, then it is forwarded with the Host kept and X-Forwarded-For set by the gateway, not the client', async () => {
  const gw = createGateway({ tickets: upstreamPort }, { clientExpected: false });
  const res = await through(gw, '/api/tickets?limit=2', { 'x-forwarded-for': '6.6.6.6' });
  expect(res.status).toBe(200);
  expect(res.body.path).toBe('/api/tickets?limit=2');
  expect(res.body.forwardedFor).toBe('127.0.0.1');
});
