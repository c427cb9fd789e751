import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A counting HTTP proxy in front of stripe-mock. It forwards every request, and models what
 * stripe-mock does not: Stripe's idempotency (a repeated Idempotency-Key with the same
 * parameters returns the first response and is not a new charge; with other parameters it
 * is refused; while the first request is still in progress a second one gets 409), the
 * charges it made (so `GET /v1/charges/:id` and `/v1/charges/search` by metadata answer
 * from what was really charged), and a slow Stripe:
 * - `holdRequests()`: requests wait before they reach Stripe (nothing is charged yet);
 * - `holdResponses()`: Stripe executes the request (the charge exists) but the answer waits.
 * `release()` lets everything held through.
 */

export interface ChargeRecord {
  id: string;
  amount: number;
  orderId?: string;
  idempotencyKey?: string;
  at: number;
}

export interface RefundRecord {
  id: string;
  charge: string;
  amount: number;
  idempotencyKey?: string;
  at: number;
}

export interface ProxyRequestRecord {
  method: string;
  path: string;
  idempotencyKey?: string;
  params: Record<string, string>;
  status?: number;
  /** Answered from the idempotency store: no new effect at Stripe. */
  replayed?: boolean;
  /** The client was gone when the answer was ready. */
  clientGone?: boolean;
  at: number;
}

interface StoredResult {
  method: string;
  path: string;
  params: string;
  status?: number;
  headers?: http.OutgoingHttpHeaders;
  body?: Buffer;
  inProgress: boolean;
}

const IDEMPOTENT_STATUSES = (status: number) => (status >= 200 && status < 300) || status === 402;

function parseForm(body: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(body)) out[k] = v;
  return out;
}

function stripeError(status: number, type: string, message: string, code?: string) {
  return { status, body: Buffer.from(JSON.stringify({ error: { type, message, ...(code && { code }) } })) };
}

export class StripeProxy {
  readonly charges: ChargeRecord[] = [];
  readonly refunds: RefundRecord[] = [];
  readonly requests: ProxyRequestRecord[] = [];
  private readonly chargeBodies = new Map<string, Buffer>();
  private readonly idempotency = new Map<string, StoredResult>();
  private readonly server: http.Server;
  private holdingRequests = false;
  private holdingResponses = false;
  private waiting: (() => void)[] = [];
  private heldCount = 0;
  private readonly onHeld: (() => void)[] = [];
  private upstreamPort?: number;

  constructor() {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { type: 'api_error', message: `chaos proxy: ${(err as Error).message}` } }));
      });
    });
    this.server.keepAliveTimeout = 1_000;
  }

  /** Listens on a free loopback port; the upstream (stripe-mock) may be set later. */
  async listen(upstreamPort?: number): Promise<number> {
    this.upstreamPort = upstreamPort;
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  setUpstream(port: number): void {
    this.upstreamPort = port;
  }

  /** Requests wait before reaching Stripe until `release()`. */
  holdRequests(): void {
    this.holdingRequests = true;
  }

  /** Stripe executes requests, but their answers wait until `release()`. */
  holdResponses(): void {
    this.holdingResponses = true;
  }

  release(): void {
    this.holdingRequests = false;
    this.holdingResponses = false;
    const w = this.waiting;
    this.waiting = [];
    for (const go of w) go();
  }

  /** How many requests or answers are being held now. */
  get held(): number {
    return this.heldCount;
  }

  /** Resolves once `n` requests or answers are held (e.g. "the charge is in flight"). */
  async waitForHeld(n = 1, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.heldCount < n) {
      if (Date.now() > deadline) throw new Error(`stripe proxy: ${this.heldCount} held after ${timeoutMs} ms, wanted ${n}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  private hold(): Promise<void> {
    this.heldCount++;
    return new Promise((resolve) =>
      this.waiting.push(() => {
        this.heldCount--;
        resolve();
      }),
    );
  }

  /** Charges − refunds in cents, optionally only for some orders. */
  net(orderIds?: Set<string>): { charged: number; refunded: number; chargeCount: number; refundCount: number } {
    const charges = this.charges.filter((c) => !orderIds || (c.orderId && orderIds.has(c.orderId)));
    const ids = new Set(charges.map((c) => c.id));
    const refunds = this.refunds.filter((r) => ids.has(r.charge));
    return {
      charged: charges.reduce((a, c) => a + c.amount, 0),
      refunded: refunds.reduce((a, r) => a + r.amount, 0),
      chargeCount: charges.length,
      refundCount: refunds.length,
    };
  }

  async close(): Promise<void> {
    this.release();
    this.server.closeAllConnections?.();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const key = (req.headers['idempotency-key'] as string | undefined) ?? undefined;
    const params = method === 'POST' ? parseForm(body.toString('utf8')) : Object.fromEntries(url.searchParams);
    const record: ProxyRequestRecord = { method, path: url.pathname, idempotencyKey: key, params, at: Date.now() };
    this.requests.push(record);
    let clientGone = false;
    res.on('close', () => {
      if (!res.writableFinished) clientGone = true;
    });
    const send = (status: number, headers: http.OutgoingHttpHeaders, payload: Buffer) => {
      record.status = status;
      record.clientGone = clientGone;
      if (clientGone) return;
      res.writeHead(status, headers);
      res.end(payload);
    };
    const json = (status: number, payload: Buffer) =>
      send(status, { 'content-type': 'application/json', 'request-id': `req_chaos_${this.requests.length}` }, payload);

    // Reads of what was charged: answered from the record, as Stripe would.
    if (method === 'GET' && /^\/v1\/charges\/ch_[A-Za-z0-9_]+$/.test(url.pathname)) {
      const stored = this.chargeBodies.get(url.pathname.split('/').pop()!);
      if (stored) return json(200, stored);
      const e = stripeError(404, 'invalid_request_error', `No such charge: '${url.pathname.split('/').pop()}'`, 'resource_missing');
      return json(e.status, e.body);
    }
    if (method === 'GET' && url.pathname === '/v1/charges/search') {
      const q = url.searchParams.get('query') ?? '';
      const m = /metadata\[['"]orderId['"]\]\s*:\s*['"]([^'"]+)['"]/.exec(q);
      const data = this.charges
        .filter((c) => !m || c.orderId === m[1])
        .map((c) => JSON.parse(this.chargeBodies.get(c.id)!.toString('utf8')));
      return json(200, Buffer.from(JSON.stringify({ object: 'search_result', data, has_more: false, url: '/v1/charges/search' })));
    }

    // Stripe's idempotency for POSTs.
    const signature = JSON.stringify(Object.entries(params).sort(([a], [b]) => a.localeCompare(b)));
    if (method === 'POST' && key) {
      const prior = this.idempotency.get(key);
      if (prior) {
        if (prior.method !== method || prior.path !== url.pathname || prior.params !== signature) {
          const e = stripeError(
            400,
            'idempotency_error',
            `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
          );
          return json(e.status, e.body);
        }
        if (prior.inProgress) {
          const e = stripeError(
            409,
            'idempotency_error',
            'There is currently another in-progress request using this Stripe-Idempotency-Key; retry later.',
            'idempotency_key_in_use',
          );
          return json(e.status, e.body);
        }
        record.replayed = true;
        if (this.holdingResponses) await this.hold();
        return send(prior.status!, { ...prior.headers, 'idempotent-replayed': 'true' }, prior.body!);
      }
      this.idempotency.set(key, { method, path: url.pathname, params: signature, inProgress: true });
    }

    if (this.holdingRequests) await this.hold();
    let upstream: { status: number; headers: http.IncomingHttpHeaders; body: Buffer };
    try {
      upstream = await this.forward(req, method, body);
    } catch (err) {
      if (key) this.idempotency.delete(key); // never reached Stripe: nothing stored
      throw err;
    }
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(upstream.headers)) {
      if (!['connection', 'keep-alive', 'transfer-encoding', 'content-length'].includes(k)) headers[k] = v;
    }
    this.account(method, url.pathname, params, key, upstream.status, upstream.body);
    if (key) {
      if (IDEMPOTENT_STATUSES(upstream.status)) {
        this.idempotency.set(key, { method, path: url.pathname, params: signature, status: upstream.status, headers, body: upstream.body, inProgress: true });
      } else {
        this.idempotency.delete(key); // validation errors and Stripe's own failures are not stored
      }
    }
    if (this.holdingResponses) await this.hold();
    if (key && this.idempotency.get(key)) this.idempotency.get(key)!.inProgress = false;
    send(upstream.status, headers, upstream.body);
  }

  private account(method: string, path: string, params: Record<string, string>, key: string | undefined, status: number, body: Buffer) {
    if (method !== 'POST' || status < 200 || status >= 300) return;
    const at = Date.now();
    if (path === '/v1/charges') {
      const charge = JSON.parse(body.toString('utf8')) as { id: string; amount: number };
      this.charges.push({ id: charge.id, amount: Number(params.amount ?? charge.amount), orderId: params['metadata[orderId]'], idempotencyKey: key, at });
      this.chargeBodies.set(charge.id, body);
    } else if (path === '/v1/refunds') {
      const refund = JSON.parse(body.toString('utf8')) as { id: string };
      const charge = params.charge ?? '';
      // Without an amount Stripe refunds the whole charge (stripe-mock answers a fixture amount).
      const amount = params.amount ? Number(params.amount) : (this.charges.find((c) => c.id === charge)?.amount ?? 0);
      this.refunds.push({ id: refund.id, charge, amount, idempotencyKey: key, at });
    }
  }

  private forward(req: http.IncomingMessage, method: string, body: Buffer) {
    if (!this.upstreamPort) return Promise.reject(new Error('no upstream Stripe'));
    return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const headers = { ...req.headers, host: `127.0.0.1:${this.upstreamPort}`, 'content-length': String(body.length) };
      delete headers.connection;
      const up = http.request({ host: '127.0.0.1', port: this.upstreamPort, method, path: req.url, headers }, (r) => {
        const parts: Buffer[] = [];
        r.on('data', (c) => parts.push(c));
        r.on('end', () => resolve({ status: r.statusCode ?? 502, headers: r.headers, body: Buffer.concat(parts) }));
        r.on('error', reject);
      });
      up.on('error', reject);
      up.end(body);
    });
  }
}
