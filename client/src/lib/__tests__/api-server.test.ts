/**
 * @jest-environment node
 */
// apiGet against a real HTTP server over real connections (Node's fetch). The failure it
// must survive: a kept-alive connection the server closed while this process was too busy
// to notice, so the request sent on it is cut before any answer ("other side closed").
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { apiGet, isClosedConnection } from '../api-server';

// Next's request context is the boundary here: the incoming request's headers.
jest.mock('next/headers', () => ({ headers: async () => new Headers({ cookie: 'session=abc' }) }));

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void;

async function startServer(handler: Handler) {
  let n = 0;
  const cookies: (string | undefined)[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    cookies.push(req.headers.cookie);
    handler(req, res, ++n);
  });
  server.on('connection', (s) => sockets.add(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.env.API_INTERNAL_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    requests: () => n,
    connections: () => sockets.size,
    cookies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()).closeAllConnections()),
  };
}

const json = (res: http.ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

describe('apiGet', () => {
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('when the connection is closed under the request twice, then it throws (one retry, no loop)', async () => {
    server = await startServer((req) => req.socket.destroy());
    await expect(apiGet('/api/tickets')).rejects.toThrow('fetch failed');
    expect(server.requests()).toBe(2);
  });

  it('when the connection is cut under the first request and the second answers, then the answer comes back with its cursor', async () => {
    server = await startServer((req, res, n) => {
      if (n === 1) return req.socket.destroy();
      res.setHeader('x-next-cursor', 'c1');
      json(res, 200, [{ id: 't1' }]);
    });
    await expect(apiGet('/api/tickets')).resolves.toEqual({ ok: true, status: 200, data: [{ id: 't1' }], nextCursor: 'c1' });
    // Sent again as it was (the user's cookie), on a new connection.
    expect(server.cookies).toEqual(['session=abc', 'session=abc']);
    expect(server.connections()).toBe(2);
  });

  it('when the API answers 5xx, then it throws without repeating the request', async () => {
    server = await startServer((_req, res) => json(res, 503, { errors: [{ message: 'down' }] }));
    await expect(apiGet('/api/tickets')).rejects.toThrow('GET /api/tickets answered 503');
    expect(server.requests()).toBe(1);
  });

  it('when the API answers 4xx, then it is a result with the API errors, sent once', async () => {
    server = await startServer((_req, res) => json(res, 404, { errors: [{ message: 'Not Found' }] }));
    await expect(apiGet('/api/tickets/x')).resolves.toEqual({ ok: false, status: 404, errors: [{ message: 'Not Found' }] });
    expect(server.requests()).toBe(1);
  });

  it('when nothing listens, then it throws at once (a refused connection is not repeated)', async () => {
    server = await startServer((_req, res) => json(res, 200, {}));
    await server.close();
    server = undefined;
    const error = await apiGet('/api/tickets').catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'TypeError', cause: { code: 'ECONNREFUSED' } });
    expect(isClosedConnection(error)).toBe(false);
  });
});
