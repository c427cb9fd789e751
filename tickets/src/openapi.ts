import { Router } from 'express';

/**
 * The OpenAPI 3.1 description of the tickets service's HTTP API (docs/DESIGN.md §2), served
 * at GET /api/tickets/openapi.json. The OpenAPI contract test (integration/) replays every
 * exchange the route tests make against it, so a status or a body shape this file does not
 * describe fails the build.
 */
export const OPENAPI_PATH = '/api/tickets/openapi.json';

const json = (schema: object) => ({ 'application/json': { schema } });
const error = (description: string) => ({ description, content: json({ $ref: '#/components/schemas/Errors' }) });
const ref = (name: string) => ({ $ref: `#/components/responses/${name}` });
const retryAfter = { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } };
const signedIn = [{ session: [] }];
const idParam = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'A ticket id; a malformed one is a 404.',
  schema: { type: 'string' },
};

/** Answers common's createApp gives every route. */
const anyFailures = { '500': ref('Unexpected'), '503': ref('Unavailable') };
/** ... and every state-changing route. */
const writeFailures = {
  '403': ref('CrossSite'),
  '413': ref('TooLarge'),
  '415': ref('UnsupportedMediaType'),
  ...anyFailures,
};

const ticketBody = {
  type: 'object',
  required: ['title', 'price'],
  properties: {
    title: { type: 'string', minLength: 1 },
    price: {
      description: 'Dollars to the cent, 0.50 to 999999.99, as a number or a decimal string; never rounded.',
      oneOf: [{ type: 'number' }, { type: 'string' }],
    },
  },
};

export const openapi = {
  openapi: '3.1.0',
  info: {
    title: 'Ticketing tickets',
    version: '1.0.0',
    description: 'Tickets for sale. Errors are always `{"errors":[{"message","field"?}]}`.',
  },
  servers: [{ url: '/' }],
  tags: [{ name: 'tickets' }, { name: 'health' }],
  paths: {
    '/api/tickets': {
      post: {
        tags: ['tickets'],
        operationId: 'createTicket',
        summary: 'List a ticket for sale',
        security: signedIn,
        requestBody: { required: true, content: json(ticketBody) },
        responses: {
          '201': { description: 'Created, version 0.', content: json({ $ref: '#/components/schemas/Ticket' }) },
          '400': error(
            'title "Title is required"; price "Price must be greater than 0" / "Price must be at least 0.50" / "Price must be at most 999999.99" / "Price must have at most 2 decimals"',
          ),
          '401': ref('NotAuthorized'),
          ...writeFailures,
        },
      },
      get: {
        tags: ['tickets'],
        operationId: 'listTickets',
        summary: 'The tickets not reserved, newest first (by id)',
        security: [],
        parameters: [
          {
            name: 'limit',
            in: 'query',
            description: 'A whole number, clamped to 1..100 (default 100).',
            schema: { type: 'integer', default: 100 },
          },
          {
            name: 'before',
            in: 'query',
            description: 'The cursor from X-Next-Cursor: the page after it.',
            schema: { type: 'string', pattern: '^[0-9a-f]{24}$' },
          },
        ],
        responses: {
          '200': {
            description: 'One page; the next-page headers are absent on the last page.',
            headers: {
              'X-Next-Cursor': { $ref: '#/components/headers/XNextCursor' },
              Link: { $ref: '#/components/headers/LinkNext' },
            },
            content: json({ type: 'array', items: { $ref: '#/components/schemas/Ticket' } }),
          },
          '400': error('limit "Limit must be a whole number"; before "Before must be a cursor from X-Next-Cursor"'),
          ...anyFailures,
        },
      },
    },
    '/api/tickets/{id}': {
      get: {
        tags: ['tickets'],
        operationId: 'showTicket',
        summary: 'One ticket (with orderId when reserved)',
        security: [],
        parameters: [idParam],
        responses: {
          '200': { description: 'The ticket.', content: json({ $ref: '#/components/schemas/Ticket' }) },
          '404': ref('NotFound'),
          ...anyFailures,
        },
      },
      put: {
        tags: ['tickets'],
        operationId: 'updateTicket',
        summary: "Edit one's own ticket (not while reserved)",
        security: signedIn,
        parameters: [idParam],
        requestBody: { required: true, content: json(ticketBody) },
        responses: {
          '200': { description: 'Updated, version + 1.', content: json({ $ref: '#/components/schemas/Ticket' }) },
          '400': error('Field errors; "Cannot edit a reserved ticket"'),
          '401': ref('NotAuthorized'),
          '404': ref('NotFound'),
          ...writeFailures,
        },
      },
    },
    [OPENAPI_PATH]: {
      get: {
        tags: ['tickets'],
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
      XNextCursor: { description: 'The cursor of the next page (pass it as ?before).', schema: { type: 'string' } },
      LinkNext: {
        description: 'The next page: `</api/tickets?limit=N&before=<cursor>>; rel="next"`.',
        schema: { type: 'string' },
      },
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
      Ticket: {
        type: 'object',
        required: ['id', 'title', 'price', 'userId', 'version'],
        additionalProperties: false,
        properties: {
          id: { type: 'string', pattern: '^[0-9a-f]{24}$' },
          title: { type: 'string' },
          price: { type: 'number', description: 'Dollars to the cent.' },
          userId: { type: 'string' },
          version: { type: 'integer', minimum: 0 },
          orderId: { type: 'string', description: 'Present while the ticket is reserved.' },
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
        description: 'A dependency (the database) is down',
        headers: retryAfter,
        content: json({ $ref: '#/components/schemas/Errors' }),
      },
      Unexpected: error('Something went wrong'),
    },
  },
};

/** GET /api/tickets/openapi.json: mounted before /api/tickets/:id, which would 404 it. */
export const openapiRouter = Router().get(OPENAPI_PATH, (_req, res) => {
  res.json(openapi);
});
