import {
  errorResponse as error,
  jsonContent as json,
  openApiRouter,
  responseRef as ref,
  retryAfterHeader as retryAfter,
  signedIn,
  standardComponents,
  standardPaths,
} from '@ticketing/common';

/** Auth lists its own 503 (the hashing capacity) on each route. */
const writeFailures = {
  '403': ref('CrossSite'),
  '413': ref('TooLarge'),
  '415': ref('UnsupportedMediaType'),
  '500': ref('Unexpected'),
};

/**
 * The OpenAPI 3.1 description of the auth service's HTTP API (docs/DESIGN.md §2), served at
 * GET /api/users/openapi.json. The OpenAPI contract test (integration/) replays every
 * exchange the route tests make against it, so a status or a body shape this file does not
 * describe fails the build.
 */
export const OPENAPI_PATH = '/api/users/openapi.json';


const credentials = {
  type: 'object',
  required: ['email', 'password'],
  properties: {
    email: { type: 'string', format: 'email', description: 'Trimmed and lower-cased.' },
    password: { type: 'string', minLength: 8, maxLength: 128 },
  },
};


export const openapi = {
  openapi: '3.1.0',
  info: {
    title: 'Ticketing auth',
    version: '1.0.0',
    description:
      'Sign-up, sign-in and the session cookie. Errors are always `{"errors":[{"message","field"?}]}`.',
  },
  servers: [{ url: '/' }],
  tags: [{ name: 'users' }, { name: 'health' }],
  paths: {
    '/api/users/signup': {
      post: {
        tags: ['users'],
        operationId: 'signup',
        summary: 'Create an account and sign in',
        requestBody: { required: true, content: json(credentials) },
        responses: {
          '201': {
            description: 'Signed up; the session cookie is set.',
            headers: { 'Set-Cookie': { $ref: '#/components/headers/SetSession' } },
            content: json({ $ref: '#/components/schemas/User' }),
          },
          '400': error(
            'email "Email must be valid"; password "Password must be between 8 and 128 characters"; email "Email in use"',
          ),
          '429': { $ref: '#/components/responses/TooManyAttempts' },
          '503': { $ref: '#/components/responses/Unavailable' },
          ...writeFailures,
        },
      },
    },
    '/api/users/signin': {
      post: {
        tags: ['users'],
        operationId: 'signin',
        summary: 'Sign in',
        requestBody: { required: true, content: json(credentials) },
        responses: {
          '200': {
            description: 'Signed in; the session cookie is set.',
            headers: { 'Set-Cookie': { $ref: '#/components/headers/SetSession' } },
            content: json({ $ref: '#/components/schemas/User' }),
          },
          '400': error('Field errors; "Invalid credentials" (unknown email and wrong password alike)'),
          '429': { $ref: '#/components/responses/TooManyAttempts' },
          '503': { $ref: '#/components/responses/Unavailable' },
          ...writeFailures,
        },
      },
    },
    '/api/users/signout': {
      post: {
        tags: ['users'],
        operationId: 'signout',
        summary: 'Sign out (clears the session cookie)',
        responses: {
          '200': {
            description: 'Signed out.',
            content: json({ type: 'object', additionalProperties: false }),
          },
          ...writeFailures,
        },
      },
    },
    '/api/users/currentuser': {
      get: {
        tags: ['users'],
        operationId: 'currentUser',
        summary: 'Who is signed in',
        security: [{}, { session: [] }],
        responses: {
          '200': {
            description: 'The signed-in user, or null (a bad, expired or foreign session is "signed out").',
            content: json({
              type: 'object',
              required: ['currentUser'],
              properties: {
                currentUser: { oneOf: [{ type: 'null' }, { $ref: '#/components/schemas/CurrentUser' }] },
              },
            }),
          },
          '400': { $ref: '#/components/responses/BadRequest' },
          '500': { $ref: '#/components/responses/Unexpected' },
        },
      },
    },
    ...standardPaths(OPENAPI_PATH, 'users'),
  },
  components: standardComponents(
    {
    headers: {
      SetSession: { description: 'The `session` cookie (httpOnly, SameSite=Lax).', schema: { type: 'string' } },
    },
    schemas: {
      User: {
        type: 'object',
        required: ['id', 'email'],
        additionalProperties: false,
        properties: { id: { type: 'string', pattern: '^[0-9a-f]{24}$' }, email: { type: 'string' } },
      },
      CurrentUser: {
        type: 'object',
        required: ['id', 'email', 'iat', 'exp'],
        properties: {
          id: { type: 'string' },
          email: { type: 'string' },
          iat: { type: 'integer' },
          exp: { type: 'integer' },
          iss: { type: 'string' },
          aud: { type: 'string' },
        },
      },
    },
    responses: {
      BadRequest: error('Invalid input'),
      TooManyAttempts: {
        description: 'Too many attempts, try again later',
        headers: retryAfter,
        content: json({ $ref: '#/components/schemas/Errors' }),
      },
    },
    }, { unavailable: 'Too busy right now (hashing capacity), or a dependency is down' },
  ),
};

/** GET /api/users/openapi.json: mounted before the service's routes. */
export const createOpenapiRouter = () => openApiRouter(OPENAPI_PATH, openapi);
