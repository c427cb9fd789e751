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

/** `targets`: service name → port on 127.0.0.1. A missing target answers 503. */
function createGateway(targets) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  return http.createServer((req, res) => {
    const { pathname } = new URL(req.url, 'http://gateway');
    const service = routeFor(pathname);
    const port = service && targets[service];
    if (!port) return sendError(res, 503, `No upstream for ${pathname}`);
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
