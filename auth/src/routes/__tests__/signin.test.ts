import crypto from 'node:crypto';
import mongoose from 'mongoose';
import request from 'supertest';
import { LoginAttempt } from '../../models/login-attempt';
import { createUser, User } from '../../models/user';
import { HashGate, HashingBusyError } from '../../services/hash-gate';
import { PasswordHasher } from '../../services/password';
import { SigninLimiter } from '../../services/signin-limiter';
import { FAST_SCRYPT, sessionCookie, signin, signup, testApp } from '../../test/helpers';

const limits = { maxFailures: 5, maxFailuresPerIp: 12, windowSeconds: 900 };
const { app } = testApp({ signinLimits: limits });

const invalidCredentials = { errors: [{ message: 'Invalid credentials' }] };
const fail = (email: string, times: number, ip?: string) =>
  (async () => {
    for (let i = 0; i < times; i++) await signin(app, email, 'wrong-password', ip).expect(400, invalidCredentials);
  })();

describe('POST /api/users/signin', () => {
  it('when the credentials are right, then 200 {id, email} and a session for that user', async () => {
    const { body: created } = await signup(app, 'me@test.com').expect(201);

    const res = await signin(app, 'me@test.com').expect(200);

    expect(res.body).toEqual({ id: created.id, email: 'me@test.com' });
    const me = await request(app).get('/api/users/currentuser').set('Cookie', sessionCookie(res)).expect(200);
    expect(me.body.currentUser).toMatchObject({ id: created.id, email: 'me@test.com' });
  });

  it('when signed up as "  A@B.com " and signing in as "a@b.com" or " A@B.COM", then both succeed', async () => {
    await signup(app, '  A@B.com ').expect(201);
    await signin(app, 'a@b.com').expect(200);
    await signin(app, ' A@B.COM').expect(200);
  });

  it.each([
    ['the email is missing', { password: 'password123' }, [{ message: 'Email must be valid', field: 'email' }]],
    ['the email is not an address', { email: 'nope', password: 'password123' }, [{ message: 'Email must be valid', field: 'email' }]],
    ['the password is missing', { email: 'a@test.com' }, [{ message: 'You must supply a password', field: 'password' }]],
    ['the password is empty', { email: 'a@test.com', password: '' }, [{ message: 'You must supply a password', field: 'password' }]],
    ['the password is a number', { email: 'a@test.com', password: 12345678 }, [{ message: 'You must supply a password', field: 'password' }]],
    [
      'both are missing',
      {},
      [
        { message: 'Email must be valid', field: 'email' },
        { message: 'You must supply a password', field: 'password' },
      ],
    ],
  ])('when %s, then 400 with the field errors and nothing counted', async (_name, body, errors) => {
    const res = await request(app).post('/api/users/signin').send(body).expect(400);
    expect(res.body).toEqual({ errors });
    expect(await LoginAttempt.countDocuments()).toBe(0);
  });

  it('when the email is unknown or the password wrong, then the same 400 "Invalid credentials" and no cookie', async () => {
    await signup(app, 'known@test.com').expect(201);

    const unknown = await signin(app, 'unknown@test.com').expect(400);
    const wrong = await signin(app, 'known@test.com', 'wrong-password').expect(400);

    expect(unknown.body).toEqual(invalidCredentials);
    expect(wrong.body).toEqual(invalidCredentials);
    expect(unknown.headers['set-cookie']).toBeUndefined();
    expect(wrong.headers['set-cookie']).toBeUndefined();
  });

  it.each([
    ['email', { email: { $gt: '' }, password: 'password123' }],
    ['password', { email: 'known@test.com', password: { $ne: 'x' } }],
  ])('when the %s is a query operator, then 400 and no session', async (field, body) => {
    await signup(app, 'known@test.com').expect(201);
    const res = await request(app).post('/api/users/signin').send(body).expect(400);
    expect(res.body.errors[0]).toMatchObject({ field });
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('when the body is malformed JSON, then 400 in the error shape', async () => {
    const res = await request(app).post('/api/users/signin').set('Content-Type', 'application/json').send('{"email"').expect(400);
    expect(res.body).toEqual({ errors: [{ message: 'Malformed JSON body' }] });
  });

  it('when signed in, then the response holds no password hash', async () => {
    await signup(app, 'me@test.com', 'my-secret-password').expect(201);
    const res = await signin(app, 'me@test.com', 'my-secret-password').expect(200);
    expect(Object.keys(res.body).sort()).toEqual(['email', 'id']);
    expect(res.text).not.toMatch(/scrypt|my-secret-password/);
  });

  it('when the stored hash has older scrypt parameters, then signing in upgrades it to the current ones', async () => {
    const old = await new PasswordHasher({ ...FAST_SCRYPT, N: 512 }).hash('password123');
    await createUser('old@test.com', old);

    await signin(app, 'old@test.com').expect(200);

    const { password } = (await User.findOne({ email: 'old@test.com' }).lean())!;
    expect(password).not.toBe(old);
    expect(password.startsWith(`$scrypt$N=${FAST_SCRYPT.N},r=8,p=1$`)).toBe(true);
    await signin(app, 'old@test.com').expect(200);
  });

  describe('rate limits', () => {
    it('when an email failed 5 times from one client, then its 6th attempt gets 429 with Retry-After, even with the right password', async () => {
      const { app: logged, lines } = testApp({ signinLimits: limits });
      await signup(logged, 'victim@test.com').expect(201);
      for (let i = 0; i < 5; i++) await signin(logged, 'victim@test.com', 'wrong-password').expect(400, invalidCredentials);

      const res = await signin(logged, 'victim@test.com').expect(429);

      expect(res.body).toEqual({ errors: [{ message: 'Too many attempts, try again later' }] });
      const retryAfter = Number(res.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(limits.windowSeconds - 60);
      expect(retryAfter).toBeLessThanOrEqual(limits.windowSeconds);
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(lines).toContainEqual(expect.objectContaining({ msg: 'signin rate limited', limitedBy: ['email-ip'] }));
    });

    it('when an unknown email failed 5 times, then it is limited too, so the limit does not reveal accounts', async () => {
      await fail('ghost@test.com', 5);
      await signin(app, 'ghost@test.com').expect(429);
    });

    it('when the email is limited, then another email from the same client still signs in', async () => {
      await signup(app, 'other@test.com').expect(201);
      await fail('victim@test.com', 5);
      await signin(app, 'victim@test.com').expect(429);
      await signin(app, 'other@test.com').expect(200);
    });

    it('when a sign-in succeeds, then the email counter starts again from zero', async () => {
      await signup(app, 'me@test.com').expect(201);
      await fail('me@test.com', 4);
      await signin(app, 'me@test.com').expect(200);

      // Without the reset the 5th of these would already be the 6th attempt in the window.
      await fail('me@test.com', 5);
      await signin(app, 'me@test.com').expect(429);
    });

    it('when the window has passed, then the limited email may sign in again', async () => {
      await signup(app, 'me@test.com').expect(201);
      await fail('me@test.com', 5);
      await signin(app, 'me@test.com').expect(429);

      const past = new Date(Date.now() - (limits.windowSeconds + 1) * 1000);
      await LoginAttempt.updateMany({}, { $set: { windowStart: past } });

      await signin(app, 'me@test.com').expect(200);
    });

    it('when one client fails across many emails, then it is limited by its IP while other clients are not', async () => {
      await signup(app, 'me@test.com').expect(201);
      for (let i = 0; i < limits.maxFailuresPerIp; i++) await fail(`spray${i}@test.com`, 1, '198.51.100.7');

      const res = await signin(app, 'me@test.com', 'password123', '198.51.100.7').expect(429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      await signin(app, 'me@test.com', 'password123', '198.51.100.8').expect(200);
    });

    it('when successful sign-ins repeat from one client, then they do not use up its IP budget', async () => {
      await signup(app, 'me@test.com').expect(201);
      for (let i = 0; i < limits.maxFailuresPerIp + 2; i++) await signin(app, 'me@test.com').expect(200);
    });

    it('when 20 wrong guesses for one email arrive at once from one client, then exactly 5 are checked and the rest get 429', async () => {
      // A wide IP budget, so only the (email, IP) limit decides.
      const { app: wide } = testApp({ signinLimits: { ...limits, maxFailuresPerIp: 100 } });
      await signup(wide, 'victim@test.com').expect(201);

      const results = await Promise.all(
        Array.from({ length: 20 }, () => signin(wide, 'victim@test.com', 'wrong-password', '192.0.2.1')),
      );

      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 400)).toHaveLength(limits.maxFailures);
      expect(statuses.filter((s) => s === 429)).toHaveLength(20 - limits.maxFailures);
    });

    it('when a stranger guessed wrong 6 times from IP A, then the owner signs in from IP B, and A stays limited', async () => {
      const { app: logged, lines } = testApp({ signinLimits: limits });
      await signup(logged, 'owner@test.com').expect(201);
      for (let i = 0; i < 5; i++) await signin(logged, 'owner@test.com', 'wrong-password', '198.51.100.66').expect(400);
      await signin(logged, 'owner@test.com', 'wrong-password', '198.51.100.66').expect(429);

      const res = await signin(logged, 'owner@test.com', 'password123', '203.0.113.77').expect(200);

      expect(res.body).toMatchObject({ email: 'owner@test.com' });
      expect(sessionCookie(res)).toHaveLength(1);
      await signin(logged, 'owner@test.com', 'password123', '198.51.100.66').expect(429);
      expect(await LoginAttempt.findById('email:owner@test.com').lean()).toBeNull();
      expect(await LoginAttempt.findById(SigninLimiter.pairKey('owner@test.com', '203.0.113.77')).lean()).toBeNull();
      expect(lines.filter((l) => l.msg === 'signin rate limited').map((l) => l.ip)).toEqual(['198.51.100.66', '198.51.100.66']);
    });
  });

  describe('hashing capacity', () => {
    afterEach(() => jest.restoreAllMocks());

    it('when the hashing capacity is taken, then 503 with Retry-After at once, and the attempt is not counted', async () => {
      const gate = new HashGate({ concurrency: 1, queue: 0 });
      const { app: busy } = testApp({ hashGate: gate, signinLimits: limits });
      await signup(busy, 'me@test.com').expect(201);
      const verify = jest.spyOn(PasswordHasher.prototype, 'verify');
      const other = gate.admit();

      const started = Date.now();
      const res = await signin(busy, 'me@test.com').expect(503);

      expect(Date.now() - started).toBeLessThan(1_000);
      expect(res.body).toEqual({ errors: [{ message: 'Too busy right now, try again shortly' }] });
      expect(res.headers['retry-after']).toBe('1');
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(verify).not.toHaveBeenCalled();
      expect(await LoginAttempt.countDocuments()).toBe(0);

      other.release();
      await signin(busy, 'me@test.com').expect(200);
    });

    it('when every request of a burst is done, then the whole capacity is free again (failures included)', async () => {
      const gate = new HashGate({ concurrency: 1, queue: 1 });
      const { app: small } = testApp({ hashGate: gate, signinLimits: { ...limits, maxFailures: 1 } });
      await signup(small, 'me@test.com').expect(201);
      await signin(small, 'me@test.com', 'wrong-password').expect(400);
      await signin(small, 'me@test.com', 'wrong-password').expect(429);
      await request(small).post('/api/users/signin').send({ email: 'x' }).expect(400);

      // Two admissions at once only fit if nothing above leaked one.
      const a = gate.admit();
      const b = gate.admit();
      expect(() => gate.admit()).toThrow(HashingBusyError);
      a.release();
      b.release();
    });
  });

  describe('database work', () => {
    const queries: { collection: string; method: string; filter: Record<string, unknown> }[] = [];
    beforeEach(() => {
      queries.length = 0;
      mongoose.set('debug', (collection: string, method: string, filter: unknown) => {
        queries.push({ collection, method, filter: (filter ?? {}) as Record<string, unknown> });
      });
    });
    afterEach(() => {
      mongoose.set('debug', false);
      jest.restoreAllMocks();
    });

    it('when signing in with the right password, a wrong one or an unknown email, then users are read by _id only and each costs one scrypt', async () => {
      await signup(app, 'known@test.com').expect(201);
      const scrypt = jest.spyOn(crypto, 'scrypt');
      queries.length = 0;

      await signin(app, 'known@test.com').expect(200);
      await signin(app, 'known@test.com', 'wrong-password').expect(400, invalidCredentials);
      await signin(app, 'unknown@test.com').expect(400, invalidCredentials);

      // The unknown email also costs one more scrypt once: the throwaway hash it is checked against.
      expect(scrypt.mock.calls.length).toBeGreaterThanOrEqual(3);
      expect(scrypt.mock.calls.length).toBeLessThanOrEqual(4);
      const onUsers = queries.filter((q) => ['users', 'user-emails'].includes(q.collection));
      expect(onUsers.length).toBeGreaterThanOrEqual(6);
      for (const q of queries) expect(Object.keys(q.filter)).toContain('_id');
    });
  });
});
