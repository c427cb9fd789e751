import { Router } from 'express';

/**
 * The OpenAPI 3.1 description of the payments service's HTTP API (docs/DESIGN.md §2), served
 * at GET /api/payments/openapi.json. The OpenAPI contract test (integration/) replays every
 * exchange the route tests make against it, so a status or a body shape this file does not
 * describe fails the build.
 */
export const OPENAPI_PATH = '/api/payments/openapi.json';

const json = (schema: object) => ({ 'application/json': { schema } });
const error = (description: string) => ({ description, content: json({ $ref: '#/components/schemas/Errors' }) });
const ref = (name: string) => ({ $ref: `#/components/responses/${name}` });
const retryAfter = { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } };
const signedIn = [{ session: [] }];

/** Answers common's createApp gives every route. */
const anyFailures = { '500': ref('Unexpected'), '503': ref('Unavailable') };
/** ... and every state-changing route. */
const writeFailures = {
  '403': ref('CrossSite'),
  '413': ref('TooLarge'),
  '415': ref('UnsupportedMediaType'),
  ...anyFailures,
};

export const openapi = {
  openapi: '3.1.0',
  info: {
    title: 'Ticketing payments',
    version: '1.0.0',
    description:
      'Paying for an order with a Stripe card token. Errors are always `{"errors":[{"message","field"?}]}`.',
  },
  tags: [{ name: 'payments' }, { name: 'health' }],
  servers: [{ url: '/' }],
  paths: {
    '/api/payments': {
      post: {
        tags: ['payments'],
        operationId: 'pay',
        summary: 'Charge a card token for one of the signed-in user\'s orders',
        security: signedIn,
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            required: ['token', 'orderId'],
            properties: { token: { type: 'string', minLength: 1 }, orderId: { type: 'string', minLength: 1 } },
          }),
        },
        responses: {
          '201': {
            description: 'Paid.',
            content: json({
              type: 'object',
              required: ['id'],
              additionalProperties: false,
              properties: { id: { type: 'string' } },
            }),
          },
          '400': error(
            'Field errors; "Order has already been paid"; "Order was cancelled; the payment has been refunded"; "Cannot pay for a cancelled order"; Stripe\'s message for a refused token or amount',
          ),
          '401': ref('NotAuthorized'),
          '402': error('Declined: Stripe\'s message (a new attempt is allowed)'),
          '404': ref('NotFound'),
          '409': error('"Payment already in progress"'),
          ...writeFailures,
        },
      },
    },
    [OPENAPI_PATH]: {
      get: {
        tags: ['payments'],
        operationId: 'openapi',
        summary: 'This document',
        security: [],
        responses: { '200': { description: 'OpenAPI 3.1 document.', content: json({ type: 'object' }) } },
      },
    },
    '/healthz': {
      get: {
        tags: ['health'],
        operationId: 'healthz',
        summary: 'Liveness (not routed by the ingress)',
        security: [],
        responses: { '200': { description: 'Up.', content: json({ $ref: '#/components/schemas/Health' }) } },
      },
    },
    '/readyz': {
      get: {
        tags: ['health'],
        operationId: 'readyz',
        summary: 'Readiness: own HTTP and own database (not routed by the ingress)',
        security: [],
        responses: {
          '200': { description: 'Ready.', content: json({ $ref: '#/components/schemas/Health' }) },
          '503': { description: 'The database is down.', content: json({ $ref: '#/components/schemas/Health' }) },
        },
      },
    },
  },
  components: {
    securitySchemes: {
      session: {
        type: 'apiKey',
        in: 'cookie',
        name: 'session',
        description: 'cookie-session holding a HS256 JWT {id, email} with exp, iss "ticketing-auth", aud "ticketing".',
      },
    },
    headers: {
      RetryAfter: { description: 'Seconds to wait before retrying.', schema: { type: 'string', pattern: '^\\d+$' } },
    },
    schemas: {
      Errors: {
        type: 'object',
        required: ['errors'],
        additionalProperties: false,
        properties: {
          errors: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              required: ['message'],
              additionalProperties: false,
              properties: { message: { type: 'string' }, field: { type: 'string' } },
            },
          },
        },
      },
      Health: { type: 'object', required: ['status'], properties: { status: { type: 'string' } } },
    },
    responses: {
      NotAuthorized: error('Not authorized (not signed in, or not the owner)'),
      NotFound: error('Not Found (unknown or malformed id)'),
      CrossSite: error('Cross-site requests are not allowed'),
      TooLarge: error('Request body too large'),
      UnsupportedMediaType: error('Content-Type must be application/json'),
      Unavailable: {
        description: 'Stripe is unreachable, 5xx or past its deadline (the payment stays pending and is settled by the reconciler), or the database is down',
        headers: retryAfter,
        content: json({ $ref: '#/components/schemas/Errors' }),
      },
      Unexpected: error('Something went wrong'),
    },
  },
};

/** GET /api/payments/openapi.json: mounted before the service's routes, which would 404 it. */
export const openapiRouter = Router().get(OPENAPI_PATH, (_req, res) => {
  res.json(openapi);
});
