'use strict';
// The local stand-in for ingress-nginx: the same path table (infra/routes.json), a body
// size limit, a request id and the X-Forwarded-* headers the services' `trust proxy`
// expects. Streams bodies both ways.
const http = require('node:http');
const { randomUUID } = require('node:crypto');
const routes = require('../../infra/routes.json').routes;

const MAX_BODY_BYTES = 1024 * 1024; // as the ingress' proxy-body-size
const KEEP_ALIVE_MS = 75_000; // as the ingress' keepalive_timeout (nginx's default)

/** The service a path goes to: the first prefix that matches on a segment boundary. */
function routeFor(pathname) {
  for (const r of routes) {
    if (r.prefix === '/') return r.service;
    if (pathname === r.prefix || pathname.startsWith(`${r.prefix}/`)) return r.service;
  }
  return undefined;
}

// Hop-by-hop headers (RFC 9110 §7.6.1) describe one connection, not the message: a proxy
// drops them both ways, as nginx does. Forwarding a service's `Keep-Alive: timeout=65`
// told clients to keep idle connections to the gateway for 65 s while it closed them
// after 5 s; the web app's server then sent requests into closed connections.
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade'];

/** A copy of `headers` without the hop-by-hop ones (and those the Connection header names). */
function endToEnd(headers) {
  const named = String(headers.connection ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  const out = { ...headers };
  for (const h of [...HOP_BY_HOP, ...named]) delete out[h];
  return out;
}

function sendError(res, status, message) {
  if (res.headersSent) return res.destroy();
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ errors: [{ message }] }));
}

/**
 * `targets`: service name → port on 127.0.0.1, read per request. A path no service serves
 * answers 404 in the error shape, as the ingress does through the web app: always when
 * the web app is not part of the stack (`clientExpected: false`), and for any /api path
 * that no API owns. A service that is expected but not (yet) answering → 503.
 */
function createGateway(targets, { clientExpected = true } = {}) {
  // Idle upstream connections are dropped after 30 s, well before the services close them
  // (common SERVICE_KEEP_ALIVE_MS, 65 s): reusing one the service is closing would turn a
  // request into a reset and a 502.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256, timeout: 30_000 });
  const server = http.createServer((req, res) => {
    let pathname;
    try {
      pathname = new URL(req.url, 'http://gateway').pathname;
    } catch {
      return sendError(res, 400, 'Malformed request path');
    }
    const service = routeFor(pathname);
    if (!service || (service === 'client' && (!clientExpected || pathname === '/api' || pathname.startsWith('/api/')))) {
      return sendError(res, 404, 'Not Found');
    }
    const port = targets[service];
    if (!port) return sendError(res, 503, `${service} is not answering yet`);
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) return sendError(res, 413, 'Request body is too large');

    const headers = endToEnd(req.headers);
    headers['x-request-id'] = req.headers['x-request-id'] ?? randomUUID();
    headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
    headers['x-forwarded-proto'] = 'http';
    headers['x-forwarded-host'] = req.headers.host ?? '';
    const upstream = http.request(
      { host: '127.0.0.1', port, method: req.method, path: req.url, headers, agent },
      (up) => {
        res.writeHead(up.statusCode ?? 502, endToEnd(up.headers));
        up.pipe(res);
      },
    );
    upstream.on('error', () => sendError(res, 502, `Upstream ${service} is not answering`));
    let received = 0;
    req.on('data', (chunk) => {
      received += chunk.length;
      if (received > MAX_BODY_BYTES) {
        upstream.destroy();
        sendError(res, 413, 'Request body is too large');
        req.destroy();
      }
    });
    req.pipe(upstream);
  });
  // Idle client connections stay open as long as ingress-nginx keeps them (its
  // keepalive_timeout, 75 s), not Node's 5 s: the web app's server reuses its connections
  // to the API, and a busy process that misses a close sends its next request into it.
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.headersTimeout = KEEP_ALIVE_MS + 1_000;
  return server;
}

module.exports = { createGateway, routeFor, endToEnd, KEEP_ALIVE_MS };
