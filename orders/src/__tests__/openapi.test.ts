import request from 'supertest';
import { testApp } from '../test/helpers';
import { openapi } from '../openapi';

const { app } = testApp();

it('when GET /api/orders/openapi.json, signed out, then 200 with the OpenAPI 3.1 document of the service', async () => {
  const res = await request(app).get('/api/orders/openapi.json');
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.body).toEqual(JSON.parse(JSON.stringify(openapi)));
  expect(res.body.openapi).toBe('3.1.0');
  expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/api/orders', '/api/orders/{id}']));
});

it('when the document route is mounted, then /api/orders/:id still requires a session (401 signed out)', async () => {
  const res = await request(app).get('/api/orders/0123456789abcdef01234567');
  expect(res.status).toBe(401);
  expect(res.body).toEqual({ errors: [{ message: 'Not authorized' }] });
});
