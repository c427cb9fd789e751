import { randomBytes } from 'node:crypto';
import { startStack, RunningStack } from '../../../scripts/stack';
import { ApiUser } from '../client';

// DESIGN.md §4: no input makes a service answer 500 or crash. Every route of the API gets
// a battery of malformed bodies, ids and headers through the gateway; each answer must be
// a 4xx in the error shape, and every service must still be up afterwards.
jest.setTimeout(180_000);
let stack: RunningStack;

beforeAll(async () => {
  stack = await startStack({ apiOnly: true, gatewayPort: 0, env: { LOG_LEVEL: 'warn', SIGNUP_MAX_PER_IP: '1000' }, log: () => undefined });
}, 180_000);
afterAll(() => stack?.stop());

const bodies: [string, string, string][] = [
  ['empty object', '{}', 'application/json'],
  ['array', '[1,2,3]', 'application/json'],
  ['null', 'null', 'application/json'],
  ['number', '42', 'application/json'],
  ['string', '"hello"', 'application/json'],
  ['truncated JSON', '{"title": "x", "price":', 'application/json'],
  ['operators', '{"email":{"$gt":""},"password":{"$ne":1},"title":{"$where":"1"},"ticketId":{"$ne":null},"orderId":{"$gt":""},"token":{"$ne":""}}', 'application/json'],
  ['dotted keys', '{"a.b":1,"price.$":2}', 'application/json'],
  ['wrong types', '{"email":123,"password":true,"title":[],"price":"abc","ticketId":7,"orderId":[],"token":{}}', 'application/json'],
  ['huge numbers', '{"price":1e309,"title":"x","ticketId":"ffffffffffffffffffffffff","orderId":"ffffffffffffffffffffffff","token":"tok_visa"}', 'application/json'],
  ['deep nesting', `${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}`, 'application/json'],
  ['prototype pollution', '{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}', 'application/json'],
  ['form encoded', 'email=a@b.co&password=12345678', 'application/x-www-form-urlencoded'],
  ['plain text', 'just text', 'text/plain'],
  ['binary', '\u0000\u0001\u0002\u00ff', 'application/octet-stream'],
  ['long strings', JSON.stringify({ email: `${'a'.repeat(5000)}@b.co`, password: 'p'.repeat(5000), title: 't'.repeat(5000), price: 1 }), 'application/json'],
];

const ids = ['not-an-id', '0', 'ffffffffffffffffffffffff', '%E0%A4%A', '..%2F..%2Fetc', '$where', 'a'.repeat(500)];

function routes(ticketId: string, orderId: string): [string, string][] {
  return [
    ['POST', '/api/users/signup'],
    ['POST', '/api/users/signin'],
    ['POST', '/api/users/signout'],
    ['POST', '/api/tickets'],
    ['PUT', `/api/tickets/${ticketId}`],
    ['POST', '/api/orders'],
    ['DELETE', `/api/orders/${orderId}`],
    ['POST', '/api/payments'],
  ];
}

async function expectClientError(method: string, path: string, init: RequestInit, what: string) {
  const res = await fetch(`${stack.url}${path}`, { method, ...init });
  const text = await res.text();
  const context = `${method} ${path} with ${what}: ${res.status} ${text.slice(0, 200)}`;
  expect({ context, serverError: res.status >= 500 }).toEqual({ context, serverError: false });
  if (res.status >= 400) {
    expect({ context, shape: JSON.parse(text).errors?.every((e: { message?: unknown }) => typeof e.message === 'string') }).toEqual({
      context,
      shape: true,
    });
  }
}

it('when any route gets a malformed body, signed in or not, then it answers a 4xx in the error shape', async () => {
  const seller = await new ApiUser(stack.url, `fuzz-${randomBytes(4).toString('hex')}@example.com`).signup();
  const ticket = await seller.call('POST', '/api/tickets', { title: 'Fuzz', price: 5 });
  const signedIn = { cookie: seller.cookie };
  for (const cookie of [{}, signedIn]) {
    for (const [method, path] of routes(ticket.body.id, 'ffffffffffffffffffffffff')) {
      for (const [what, body, type] of bodies) {
        await expectClientError(method, path, { headers: { 'content-type': type, ...cookie }, body }, what);
      }
    }
  }
});

it('when an id in the path is malformed, then 404 and never 500', async () => {
  const user = await new ApiUser(stack.url, `fuzz-${randomBytes(4).toString('hex')}@example.com`).signup();
  for (const id of ids) {
    for (const [method, path] of [
      ['GET', `/api/tickets/${id}`],
      ['PUT', `/api/tickets/${id}`],
      ['GET', `/api/orders/${id}`],
      ['DELETE', `/api/orders/${id}`],
    ]) {
      await expectClientError(method, path, { headers: { cookie: user.cookie, 'content-type': 'application/json' }, body: method === 'PUT' ? '{"title":"x","price":1}' : undefined }, `id ${id}`);
    }
  }
});

it('when query strings are odd, then the list answers 200 or 400, never 500', async () => {
  for (const q of ['limit=-1', 'limit=abc', 'limit=1e9', 'limit[$gt]=1', 'limit=1&limit=2', 'userId[$ne]=x', '%E0%A4%A=1']) {
    await expectClientError('GET', `/api/tickets?${q}`, {}, q);
  }
});

it('when the storm is over, then every service is still ready', async () => {
  for (const name of ['auth', 'tickets', 'orders', 'payments', 'expiration']) {
    const port = stack.ports[name] as number;
    const res = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect({ name, status: res.status }).toEqual({ name, status: 200 });
  }
});
