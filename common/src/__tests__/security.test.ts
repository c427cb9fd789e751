import { Router } from 'express';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import mongoose from 'mongoose';
import { createApp, isTransientError, requireAuth, sessionCookieValue, TransientError, verifySessionToken } from '../index';
import { captureLogger, signinCookie, testJwtKey } from '../testing';

const key = testJwtKey();

function buildApp(allowedOrigins?: string[]) {
  const router = Router();
  router.post('/api/things', requireAuth, (req, res) => {
    res.status(201).send({ got: req.body });
  });
  router.post('/api/signout', (req, res) => {
    req.session = null;
    res.send({});
  });
  router.get('/api/down', async () => {
    throw new mongoose.mongo.MongoServerSelectionError('connect ECONNREFUSED 127.0.0.1:27017', {} as never);
  });
  router.post('/api/stripe-down', async () => {
    throw new TransientError('stripe unreachable');
  });
  const { logger, lines } = captureLogger();
  return { app: createApp({ logger, jwtKey: key, cookieSecure: false, routers: [router], allowedOrigins }), lines };
}

describe('cross-site requests', () => {
  const cookie = signinCookie({ id: 'u1', email: 'a@b.co' }, key);

  it('when a POST carries a foreign Origin, then it is refused with 403 in the error shape and the route never runs', async () => {
    const { app } = buildApp();
    const res = await request(app)
      .post('/api/things')
      .set('Host', 'ticketing.dev')
      .set('Origin', 'http://evil.example')
      .set('Cookie', cookie)
      .send({ title: 'x' });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ errors: [{ message: 'Cross-site requests are not allowed' }] });
  });

  it('when Sec-Fetch-Site is cross-site or same-site, then it is refused with 403 even with a matching Origin', async () => {
    const { app } = buildApp();
    for (const site of ['cross-site', 'same-site']) {
      const res = await request(app)
        .post('/api/things')
        .set('Host', 'ticketing.dev')
        .set('Origin', 'https://ticketing.dev')
        .set('Sec-Fetch-Site', site)
        .set('Cookie', cookie)
        .send({ title: 'x' });
      expect(res.status).toBe(403);
    }
  });

  it('when a cross-site signout comes with no body, then it is refused and the cookie is not cleared', async () => {
    const { app } = buildApp();
    const res = await request(app).post('/api/signout').set('Host', 'a.test').set('Origin', 'http://evil.example').set('Cookie', cookie);
    expect(res.status).toBe(403);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('when a body is text/plain (what a cross-site form can send), then it is refused with 415', async () => {
    const { app } = buildApp();
    const res = await request(app).post('/api/things').set('Cookie', cookie).set('Content-Type', 'text/plain').send('{"title":"x"}');
    expect(res.status).toBe(415);
    expect(res.body).toEqual({ errors: [{ message: 'Content-Type must be application/json' }] });
  });

  it('when the Origin is the host the request was sent to (through the proxy), then it passes', async () => {
    const { app } = buildApp();
    const res = await request(app)
      .post('/api/things')
      .set('Host', '10.0.0.7:3000')
      .set('X-Forwarded-Host', 'ticketing.dev')
      .set('Origin', 'https://ticketing.dev')
      .set('Sec-Fetch-Site', 'same-origin')
      .set('Cookie', cookie)
      .send({ title: 'x' });
    expect(res.status).toBe(201);
  });

  it('when there is no Origin and no body (curl, a server-side call), then a bare signout passes', async () => {
    const { app } = buildApp();
    const res = await request(app).post('/api/signout').set('Cookie', cookie);
    expect(res.status).toBe(200);
  });

  it('when an Origin is configured as allowed, then its state-changing calls pass', async () => {
    const { app } = buildApp(['https://shop.example']);
    const res = await request(app).post('/api/things').set('Origin', 'https://shop.example').set('Cookie', cookie).send({ title: 'x' });
    expect(res.status).toBe(201);
  });
});

describe('dependency outages', () => {
  it('when the database cannot be reached, then the answer is 503 with Retry-After, not 500, and a warning is logged', async () => {
    const { app, lines } = buildApp();
    const res = await request(app).get('/api/down');
    expect(res.status).toBe(503);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.body.errors[0].message).toMatch(/temporarily unavailable/);
    expect(lines.some((l) => l.msg === 'dependency unavailable')).toBe(true);
    expect(lines.some((l) => l.msg === 'unhandled error')).toBe(false);
  });

  it('when a route throws TransientError, then the answer is 503 with Retry-After', async () => {
    const { app } = buildApp();
    const res = await request(app).post('/api/stripe-down').send({});
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBeDefined();
  });
});

describe('session tokens', () => {
  it('when a token is signed with the key but lacks our issuer and audience, then it means signed out', () => {
    const forged = jwt.sign({ id: 'u1', email: 'a@b.co' }, key, { algorithm: 'HS256', expiresIn: 60 });
    expect(verifySessionToken(forged, key)).toBeNull();
    const otherAud = jwt.sign({ id: 'u1', email: 'a@b.co' }, key, { algorithm: 'HS256', expiresIn: 60, issuer: 'ticketing-auth', audience: 'billing' });
    expect(verifySessionToken(otherAud, key)).toBeNull();
  });

  it('when a request carries a token without iss/aud, then requireAuth answers 401', async () => {
    const { app } = buildApp();
    const token = jwt.sign({ id: 'u1', email: 'a@b.co' }, key, { algorithm: 'HS256', expiresIn: 60 });
    const res = await request(app).post('/api/things').set('Cookie', sessionCookieValue(token)).send({ title: 'x' });
    expect(res.status).toBe(401);
  });
});

describe('isTransientError', () => {
  it('when stripe-node reports a connection, API or rate-limit error (named "Error", class in type), then it is transient; a card error is not', () => {
    const stripeError = (type: string) => Object.assign(new Error('stripe'), { type });
    expect(isTransientError(stripeError('StripeConnectionError'))).toBe(true);
    expect(isTransientError(stripeError('StripeAPIError'))).toBe(true);
    expect(isTransientError(stripeError('StripeRateLimitError'))).toBe(true);
    expect(isTransientError(stripeError('StripeCardError'))).toBe(false);
    expect(isTransientError(stripeError('StripeInvalidRequestError'))).toBe(false);
  });

  it('when the cause of an error is a refused connection, then it is transient', () => {
    expect(isTransientError(new Error('wrapped', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) }))).toBe(true);
    expect(isTransientError(new Error('Ticket not found'))).toBe(false);
  });
});
