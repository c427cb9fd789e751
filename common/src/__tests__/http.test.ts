import express, { Router } from 'express';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { body } from 'express-validator';
import {
  BadRequestError,
  createApp,
  requireAuth,
  requireObjectIdParam,
  sessionCookieValue,
  signSessionToken,
  validateRequest,
} from '../index';
import { captureLogger, signinCookie, testJwtKey } from '../testing';

const key = testJwtKey();

function buildApp() {
  const router = Router();
  router.get('/api/me', (req, res) => {
    res.send({ currentUser: req.currentUser ?? null });
  });
  router.get('/api/private', requireAuth, (_req, res) => {
    res.send({ ok: true });
  });
  router.post(
    '/api/things',
    [body('title', 'Title is required').isString().trim().notEmpty(), body('price', 'Price must be greater than 0').isFloat({ gt: 0 })],
    validateRequest,
    (req: express.Request, res: express.Response) => {
      if (req.body.title === 'taken') throw new BadRequestError('Title in use', 'title');
      res.status(201).send(req.body);
    },
  );
  router.get('/api/things/:id', requireObjectIdParam(), (req, res) => {
    res.send({ id: req.params.id });
  });
  router.get('/api/boom', async () => {
    throw new Error('database exploded at 10.0.0.3');
  });
  const { logger, lines } = captureLogger();
  let ready = true;
  const app = createApp({ logger, jwtKey: key, cookieSecure: false, routers: [router], isReady: () => ready });
  return { app, lines, setReady: (r: boolean) => (ready = r) };
}

describe('createApp', () => {
  it('when a route is unknown, then 404 Not Found in the error shape', async () => {
    const res = await request(buildApp().app).get('/api/nothing').expect(404);
    expect(res.body).toEqual({ errors: [{ message: 'Not Found' }] });
  });

  it('when validation fails, then 400 with one entry per field', async () => {
    const res = await request(buildApp().app).post('/api/things').send({ price: -1 }).expect(400);
    expect(res.body).toEqual({
      errors: [
        { message: 'Title is required', field: 'title' },
        { message: 'Price must be greater than 0', field: 'price' },
      ],
    });
  });

  it('when a route throws a BadRequestError with a field, then that field is named', async () => {
    const res = await request(buildApp().app).post('/api/things').send({ title: 'taken', price: 3 }).expect(400);
    expect(res.body).toEqual({ errors: [{ message: 'Title in use', field: 'title' }] });
  });

  it('when the body is malformed JSON, then 400 and not 500', async () => {
    const res = await request(buildApp().app)
      .post('/api/things')
      .set('Content-Type', 'application/json')
      .send('{"title": ')
      .expect(400);
    expect(res.body.errors[0].message).toBe('Malformed JSON body');
  });

  it('when the body carries a query operator, then 400 naming the field', async () => {
    const res = await request(buildApp().app).post('/api/things').send({ title: { $gt: '' }, price: 1 }).expect(400);
    expect(res.body).toEqual({ errors: [{ message: 'Invalid input', field: 'title' }] });
  });

  it('when the body is too large, then 413', async () => {
    const res = await request(buildApp().app).post('/api/things').send({ title: 'x'.repeat(40_000), price: 1 }).expect(413);
    expect(res.body.errors[0].message).toMatch(/too large/);
  });

  it('when a route fails unexpectedly, then a bare 500 and the stack is logged with the request id', async () => {
    const { app, lines } = buildApp();
    const res = await request(app).get('/api/boom').set('x-request-id', 'req-123').expect(500);
    expect(res.body).toEqual({ errors: [{ message: 'Something went wrong' }] });
    expect(JSON.stringify(res.body)).not.toMatch(/10\.0\.0\.3/);
    const logged = lines.find((l) => l.msg === 'unhandled error');
    expect(logged).toMatchObject({ reqId: 'req-123' });
    expect(JSON.stringify(logged)).toMatch(/database exploded/);
  });

  it('when an id is malformed, then 404', async () => {
    await request(buildApp().app).get('/api/things/not-an-id').expect(404);
    await request(buildApp().app).get('/api/things/5f8d0d55b54764421b7156c3').expect(200);
  });

  it('when the service is not ready, then /readyz answers 503 while /healthz stays 200', async () => {
    const { app, setReady } = buildApp();
    await request(app).get('/readyz').expect(200);
    setReady(false);
    await request(app).get('/readyz').expect(503);
    await request(app).get('/healthz').expect(200);
  });
});

describe('currentUser and requireAuth', () => {
  const app = buildApp().app;
  const me = () => request(app).get('/api/me');

  it('when the cookie holds a valid JWT, then the user is known, with iat and exp', async () => {
    const res = await me().set('Cookie', signinCookie({ id: 'u1', email: 'a@b.co' }, key)).expect(200);
    expect(res.body.currentUser).toMatchObject({ id: 'u1', email: 'a@b.co' });
    expect(res.body.currentUser.exp).toBeGreaterThan(res.body.currentUser.iat);
  });

  const signedOut: [string, string][] = [
    ['garbage', 'session=not-base64-json'],
    ['no jwt', sessionCookieValue('')],
    ['forged with another key', sessionCookieValue(signSessionToken({ id: 'u1', email: 'a@b.co' }, 'another-key-of-32-characters!!!!'))],
    ['expired', sessionCookieValue(jwt.sign({ id: 'u1', email: 'a@b.co', iat: 1000, exp: 2000 }, key))],
    ['alg none', sessionCookieValue(jwt.sign({ id: 'u1', email: 'a@b.co' }, '', { algorithm: 'none' }))],
    ['missing claims', sessionCookieValue(jwt.sign({ id: 'u1' }, key, { expiresIn: 60 }))],
  ];
  it.each(signedOut)('when the cookie is %s, then signed out (not an error)', async (_name, cookie) => {
    const res = await me().set('Cookie', cookie).expect(200);
    expect(res.body.currentUser).toBeNull();
    await request(app).get('/api/private').set('Cookie', cookie).expect(401, { errors: [{ message: 'Not authorized' }] });
  });

  it('when signed in, then requireAuth lets the request through', async () => {
    await request(app).get('/api/private').set('Cookie', signinCookie({}, key)).expect(200, { ok: true });
  });
});

describe('express errors', () => {
  it('when a path parameter is not valid percent-encoding, then 404, not 500', async () => {
    const res = await request(buildApp().app).get('/api/things/%E0%A4%A').expect(404);
    expect(res.body).toEqual({ errors: [{ message: 'Not Found' }] });
  });
});
