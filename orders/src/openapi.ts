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
 * The OpenAPI 3.1 description of the orders service's HTTP API (docs/DESIGN.md §2), served
 * at GET /api/orders/openapi.json. The OpenAPI contract test (integration/) replays every
 * exchange the route tests make against it, so a status or a body shape this file does not
 * describe fails the build.
 */
export const OPENAPI_PATH = '/api/orders/openapi.json';

const idParam = idPathParam('An order');

const orderTicket = {
  type: 'object',
  required: ['id', 'title', 'price', 'version'],
  additionalProperties: false,
  properties: {
    id: { type: 'string' },
    title: { type: 'string' },
    price: { type: 'number' },
    version: { type: 'integer', minimum: 0 },
  },
};

export const openapi = {
  openapi: '3.1.0',
  info: {
    title: 'Ticketing orders',
    version: '1.0.0',
    description:
      'Orders: a 15-minute hold on a ticket until it is paid. Errors are always `{"errors":[{"message","field"?}]}`.',
  },
  tags: [{ name: 'orders' }, { name: 'health' }],
  servers: [{ url: '/' }],
  paths: {
    '/api/orders': {
      post: {
        tags: ['orders'],
        operationId: 'createOrder',
        summary: 'Reserve a ticket',
        description:
          'A ticket listed within the last minute that orders has not heard of yet (ticket:created is one event behind) is waited for, up to 2 s, before a 404.',
        security: signedIn,
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            required: ['ticketId'],
            properties: { ticketId: { type: 'string', pattern: '^[0-9a-fA-F]{24}$' } },
          }),
        },
        responses: {
          '201': { description: 'Created, status "created", version 0.', content: json({ $ref: '#/components/schemas/Order' }) },
          '400': error('ticketId "TicketId must be provided"; "You cannot buy your own ticket"; "Ticket is already reserved"'),
          '401': ref('NotAuthorized'),
          '404': ref('NotFound'),
          ...writeFailures,
        },
      },
      get: {
        tags: ['orders'],
        operationId: 'listOrders',
        summary: "The signed-in user's orders, newest first (by id), ticket embedded",
        security: signedIn,
        parameters: [
          {
            name: 'limit',
            in: 'query',
            description: 'A whole number from 1 to 100 (default 100); strict, anything else is a 400.',
            schema: { type: 'integer', minimum: 1, maximum: 100, default: 100 },
          },
          {
            name: 'before',
            in: 'query',
            description: 'The cursor from X-Next-Cursor: the page after it.',
            schema: { type: 'string' },
          },
        ],
        responses: {
          '200': {
            description: 'One page; the next-page headers are absent on the last page.',
            headers: {
              'X-Next-Cursor': { $ref: '#/components/headers/XNextCursor' },
              Link: { $ref: '#/components/headers/LinkNext' },
            },
            content: json({ type: 'array', items: { $ref: '#/components/schemas/Order' } }),
          },
          '400': error('limit "Limit must be a whole number from 1 to 100"; before "Cursor is not valid"'),
          '401': ref('NotAuthorized'),
          ...anyFailures,
        },
      },
    },
    '/api/orders/{id}': {
      get: {
        tags: ['orders'],
        operationId: 'showOrder',
        summary: 'One of the signed-in user\'s orders',
        security: signedIn,
        parameters: [idParam],
        responses: {
          '200': { description: 'The order.', content: json({ $ref: '#/components/schemas/Order' }) },
          '401': ref('NotAuthorized'),
          '404': ref('NotFound'),
          ...anyFailures,
        },
      },
      delete: {
        tags: ['orders'],
        operationId: 'cancelOrder',
        summary: 'Cancel an order (repeatable; also while a payment is in flight, which is then refunded)',
        security: signedIn,
        parameters: [idParam],
        responses: {
          '204': { description: 'Cancelled.' },
          '400': error('"Cannot cancel a completed order"'),
          '401': ref('NotAuthorized'),
          '404': ref('NotFound'),
          ...writeFailures,
        },
      },
    },
    ...standardPaths(OPENAPI_PATH, 'orders'),
  },
  components: standardComponents(
    {
    headers: {
      XNextCursor: { description: 'The cursor of the next page (pass it as ?before).', schema: { type: 'string' } },
      LinkNext: {
        description: 'The next page: `</api/orders?limit=N&before=<cursor>>; rel="next"`.',
        schema: { type: 'string' },
      },
    },
    schemas: {
      Order: {
        type: 'object',
        required: ['id', 'userId', 'status', 'expiresAt', 'ticket', 'version'],
        additionalProperties: false,
        properties: {
          id: { type: 'string', pattern: '^[0-9a-f]{24}$' },
          userId: { type: 'string' },
          status: { type: 'string', enum: ['created', 'cancelled', 'awaiting:payment', 'complete'] },
          expiresAt: { type: 'string', format: 'date-time' },
          ticket: orderTicket,
          version: { type: 'integer', minimum: 0 },
          payment: {
            type: 'object',
            required: ['status'],
            additionalProperties: false,
            description: 'Once a payment was tried.',
            properties: {
              status: { type: 'string', enum: ['pending', 'paid', 'failed', 'refunded'] },
              reason: { type: 'string', description: 'Why it failed.' },
            },
          },
          refund: {
            type: 'object',
            required: ['id', 'amount'],
            additionalProperties: false,
            description: 'When a charge that landed on the cancelled order was refunded.',
            properties: { id: { type: 'string' }, amount: { type: 'integer', description: 'Cents.' } },
          },
        },
      },
    },
    },
  ),
};

/** GET /api/orders/openapi.json: mounted before /api/orders/:id, which would 404 it. */
export const createOpenapiRouter = () => openApiRouter(OPENAPI_PATH, openapi);
