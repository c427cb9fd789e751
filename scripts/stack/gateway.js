'use strict';
// The local stand-in for ingress-nginx: the same path table (infra/routes.json), a body
// size limit, a request id and the X-Forwarded-* headers the services' `trust proxy`
// expects. Streams bodies both ways.
const http = require('node:http');
const { randomUUID } = require('node:crypto');
const routes = require('../../infra/routes.json').routes;

const MAX_BODY_BYTES = 1024 * 1024; // as the ingress' proxy-body-size

/** The service a path goes to: the first prefix that matches on a segment boundary. */
function routeFor(pathname) {
  for (const r of routes) {
    if (r.prefix === '/') return r.service;
    if (pathname === r.prefix || pathname.startsWith(`${r.prefix}/`)) return r.service;
  }
  return undefined;
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
  return http.createServer((req, res) => {
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

    const headers = { ...req.headers };
    headers['x-request-id'] = req.headers['x-request-id'] ?? randomUUID();
    headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
    headers['x-forwarded-proto'] = 'http';
    headers['x-forwarded-host'] = req.headers.host ?? '';
    const upstream = http.request(
      { host: '127.0.0.1', port, method: req.method, path: req.url, headers, agent },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
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
}

module.exports = { createGateway, routeFor };
