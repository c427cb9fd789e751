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

it('when a client keeps its connection idle, then the gateway keeps it as long as ingress-nginx does (75 s) and says so', async () => {
  const gw = createGateway({ tickets: upstreamPort }, { clientExpected: false });
  expect(gw.keepAliveTimeout).toBe(75_000);
  expect(gw.headersTimeout).toBeGreaterThan(gw.keepAliveTimeout);
  await new Promise<void>((r) => gw.listen(0, '127.0.0.1', () => r()));
  try {
    const res = await fetch(`http://127.0.0.1:${(gw.address() as AddressInfo).port}/api/tickets`);
    await res.text();
    // The hint a client (Node's fetch) sizes its idle timer by.
    expect(res.headers.get('keep-alive')).toBe('timeout=75');
  } finally {
    await new Promise<void>((r) => gw.close(() => r()));
  }
});

it("when a service answers with its own connection headers, then the client gets the gateway's and never headers scoped to one hop, both ways", async () => {
  // A service as ours are: its own keep-alive (65 s), a streamed (chunked) body.
  const service = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', connection: 'keep-alive, x-hop', 'keep-alive': 'timeout=65', 'x-hop': 'secret' });
    res.write('{"seen":');
    res.end(JSON.stringify({ hop: req.headers['x-hop'] ?? null, te: req.headers.te ?? null, custom: req.headers['x-custom'] ?? null }) + '}');
  });
  service.keepAliveTimeout = 65_000;
  await new Promise<void>((r) => service.listen(0, '127.0.0.1', () => r()));
  const gw = createGateway({ tickets: (service.address() as AddressInfo).port }, { clientExpected: false });
  await new Promise<void>((r) => gw.listen(0, '127.0.0.1', () => r()));
  try {
    const port = (gw.address() as AddressInfo).port;
    const answer = await new Promise<{ headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
      const req = http.get(
        { host: '127.0.0.1', port, path: '/api/tickets', headers: { connection: 'keep-alive, x-hop', 'x-hop': 'mine', te: 'trailers', 'x-custom': 'kept' } },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ headers: res.headers, body }));
        },
      );
      req.on('error', reject);
    });
    expect(JSON.parse(answer.body)).toEqual({ seen: { hop: null, te: null, custom: 'kept' } });
    expect(answer.headers['keep-alive']).toBe('timeout=75');
    expect(answer.headers['x-hop']).toBeUndefined();
    expect(answer.headers['content-type']).toBe('application/json');
  } finally {
    await new Promise<void>((r) => gw.close(() => r()));
    await new Promise<void>((r) => service.close(() => r()).closeAllConnections());
  }
});
