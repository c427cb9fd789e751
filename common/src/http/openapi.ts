import { Router } from 'express';

/**
 * Building blocks of the services' OpenAPI 3.1 documents: what every service answers the
 * same way because common's createApp does (the error shape, cross-site refusals, 413, 415,
 * 500, 503 with Retry-After, the session cookie, /healthz and /readyz, the document's own
 * route). A service writes only its routes and its own schemas.
 */
export const jsonContent = (schema: object) => ({ 'application/json': { schema } });
export const errorResponse = (description: string) => ({
  description,
  content: jsonContent({ $ref: '#/components/schemas/Errors' }),
});
export const responseRef = (name: string) => ({ $ref: `#/components/responses/${name}` });
export const retryAfterHeader = { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } };
export const signedIn = [{ session: [] }];
/** The `{id}` path parameter of a resource route; a malformed id is answered 404. */
export const idPathParam = (what: string) => ({
  name: 'id',
  in: 'path',
  required: true,
  description: `${what} id; a malformed one is a 404.`,
  schema: { type: 'string' },
});

/** Answers createApp gives every route. */
export const anyFailures = { '500': responseRef('Unexpected'), '503': responseRef('Unavailable') };
/** ... and every state-changing route. */
export const writeFailures = {
  '403': responseRef('CrossSite'),
  '413': responseRef('TooLarge'),
  '415': responseRef('UnsupportedMediaType'),
  ...anyFailures,
};

/** The document's own route, /healthz and /readyz. */
export function standardPaths(documentPath: string, tag: string, readyzDown = 'The database is down.') {
  return {
    [documentPath]: {
      get: {
        tags: [tag],
        operationId: 'openapi',
        summary: 'This document',
        security: [],
        responses: { '200': { description: 'OpenAPI 3.1 document.', content: jsonContent({ type: 'object' }) } },
      },
    },
    '/healthz': {
      get: {
        tags: ['health'],
        operationId: 'healthz',
        summary: 'Liveness (not routed by the ingress)',
        security: [],
        responses: { '200': { description: 'Up.', content: jsonContent({ $ref: '#/components/schemas/Health' }) } },
      },
    },
    '/readyz': {
      get: {
        tags: ['health'],
        operationId: 'readyz',
        summary: 'Readiness: own HTTP and own database (not routed by the ingress)',
        security: [],
        responses: {
          '200': { description: 'Ready.', content: jsonContent({ $ref: '#/components/schemas/Health' }) },
          '503': { description: readyzDown, content: jsonContent({ $ref: '#/components/schemas/Health' }) },
        },
      },
    },
  };
}

type Components = {
  securitySchemes?: Record<string, object>;
  headers?: Record<string, object>;
  schemas?: Record<string, object>;
  responses?: Record<string, object>;
};

/**
 * The shared components merged with a service's own (the service's win on a name clash).
 * `unavailable`: what the service's 503 means (the dependencies that can be down).
 */
export function standardComponents(own: Components, { unavailable = 'A dependency (the database) is down' } = {}): Required<Components> {
  return {
    securitySchemes: {
      session: {
        type: 'apiKey',
        in: 'cookie',
        name: 'session',
        description: 'cookie-session holding a HS256 JWT {id, email} with exp, iss "ticketing-auth", aud "ticketing".',
      },
      ...own.securitySchemes,
    },
    headers: {
      RetryAfter: { description: 'Seconds to wait before retrying.', schema: { type: 'string', pattern: '^\\d+$' } },
      ...own.headers,
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
      ...own.schemas,
    },
    responses: {
      NotAuthorized: errorResponse('Not authorized (not signed in, or not the owner)'),
      NotFound: errorResponse('Not Found (unknown or malformed id)'),
      CrossSite: errorResponse('Cross-site requests are not allowed'),
      TooLarge: errorResponse('Request body too large'),
      UnsupportedMediaType: errorResponse('Content-Type must be application/json'),
      Unavailable: { description: unavailable, headers: retryAfterHeader, content: jsonContent({ $ref: '#/components/schemas/Errors' }) },
      Unexpected: errorResponse('Something went wrong'),
      ...own.responses,
    },
  };
}

/** GET <documentPath>: mount it before the service's routes (a `/:id` route would 404 it). */
export function openApiRouter(documentPath: string, document: object): Router {
  return Router().get(documentPath, (_req, res) => {
    res.json(document);
  });
}
