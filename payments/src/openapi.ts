import {
  anyFailures,
  errorResponse as error,
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
 * The OpenAPI 3.1 description of the payments service's HTTP API (docs/DESIGN.md §2), served
 * at GET /api/payments/openapi.json. The OpenAPI contract test (integration/) replays every
 * exchange the route tests make against it, so a status or a body shape this file does not
 * describe fails the build.
 */
export const OPENAPI_PATH = '/api/payments/openapi.json';



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
        description:
          'An order placed within the last minute that payments has not heard of yet (order:created is one event behind) is waited for, up to 2 s, before a 404.',
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
    ...standardPaths(OPENAPI_PATH, 'payments'),
  },
  components: standardComponents(
    {

    }, { unavailable: 'Stripe is unreachable, 5xx or past its deadline (the payment stays pending and is settled by the reconciler), or the database is down' },
  ),
};

/** GET /api/payments/openapi.json: mounted before the service's routes, which would 404 it. */
export const createOpenapiRouter = () => openApiRouter(OPENAPI_PATH, openapi);
