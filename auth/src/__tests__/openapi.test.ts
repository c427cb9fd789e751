import request from 'supertest';
import { testApp } from '../test/helpers';
import { openapi } from '../openapi';

const { app } = testApp();

it('when GET /api/users/openapi.json, signed out, then 200 with the OpenAPI 3.1 document of the service', async () => {
  const res = await request(app).get('/api/users/openapi.json');
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.body).toEqual(JSON.parse(JSON.stringify(openapi)));
  expect(res.body.openapi).toBe('3.1.0');
  expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/api/users/signup', '/api/users/signin', '/api/users/signout', '/api/users/currentuser']));
});
