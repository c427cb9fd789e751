import {
  anyFailures,
  errorResponse as error,
  idPathParam,
  jsonContent as json,
  openApiRouter,
  responseRef as ref,
  retryAfterHeader as retryAfter,
  signedIn,
  standardComponents,
  standardPaths,
  writeFailures,
} from '@ticketing/common';

/**
 * The OpenAPI 3.1 description of the tickets service's HTTP API (docs/DESIGN.md §2), served
 * at GET /api/tickets/openapi.json. The OpenAPI contract test (integration/) replays every
 * exchange the route tests make against it, so a status or a body shape this file does not
 * describe fails the build.
 */
export const OPENAPI_PATH = '/api/tickets/openapi.json';

const idParam = idPathParam('A ticket');

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
    ...standardPaths(OPENAPI_PATH, 'tickets'),
  },
  components: standardComponents(
    {
    headers: {
      XNextCursor: { description: 'The cursor of the next page (pass it as ?before).', schema: { type: 'string' } },
      LinkNext: {
        description: 'The next page: `</api/tickets?limit=N&before=<cursor>>; rel="next"`.',
        schema: { type: 'string' },
      },
    },
    schemas: {
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
    },
    },
  ),
};

/** GET /api/tickets/openapi.json: mounted before /api/tickets/:id, which would 404 it. */
export const createOpenapiRouter = () => openApiRouter(OPENAPI_PATH, openapi);
