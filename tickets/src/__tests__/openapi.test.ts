import request from 'supertest';
import { testApp } from '../test/helpers';
import { openapi } from '../openapi';

const { app } = testApp();

it('when GET /api/tickets/openapi.json, signed out, then 200 with the OpenAPI 3.1 document of the service', async () => {
  const res = await request(app).get('/api/tickets/openapi.json');
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.body).toEqual(JSON.parse(JSON.stringify(openapi)));
  expect(res.body.openapi).toBe('3.1.0');
  expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/api/tickets', '/api/tickets/{id}']));
});

it('when the document route is mounted, then /api/tickets/:id still answers for ids (404 for an unknown one)', async () => {
  const res = await request(app).get('/api/tickets/0123456789abcdef01234567');
  expect(res.status).toBe(404);
  expect(res.body).toEqual({ errors: [{ message: 'Not Found' }] });
});
