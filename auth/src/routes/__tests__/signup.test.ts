import mongoose from 'mongoose';
import request from 'supertest';
import { SignupAttempt } from '../../models/signup-attempt';
import { backfillUserEmails, User } from '../../models/user';
import { UserEmail } from '../../models/user-email';
import { HashGate } from '../../services/hash-gate';
import { PasswordHasher } from '../../services/password';
import { FAST_SCRYPT, sessionCookie, signin, signup, testApp } from '../../test/helpers';

const { app } = testApp();

describe('POST /api/users/signup', () => {
  it('when email and password are valid, then 201 {id, email}, a session, and the user is stored', async () => {
    const res = await signup(app, 'new@test.com').expect(201);

    expect(res.body).toEqual({ id: expect.stringMatching(/^[0-9a-f]{24}$/), email: 'new@test.com' });
    const stored = await User.findById(res.body.id).lean();
    expect(stored).toMatchObject({ email: 'new@test.com' });
    const me = await request(app).get('/api/users/currentuser').set('Cookie', sessionCookie(res)).expect(200);
    expect(me.body.currentUser).toMatchObject({ id: res.body.id, email: 'new@test.com' });
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['not an address', 'not-an-email'],
    ['a number', 42],
    ['an array', ['a@test.com']],
    ['null', null],
  ])('when the email is %s, then 400 "Email must be valid" and nothing is stored', async (_name, email) => {
    const res = await request(app).post('/api/users/signup').send({ email, password: 'password123' }).expect(400);
    expect(res.body).toEqual({ errors: [{ message: 'Email must be valid', field: 'email' }] });
    expect(await User.countDocuments()).toBe(0);
  });

  it.each([
    ['missing', undefined],
    ['7 characters', 'x'.repeat(7)],
    ['129 characters', 'x'.repeat(129)],
    ['a number', 12345678],
    ['an array', ['password123']],
  ])('when the password is %s, then 400 "Password must be between 8 and 128 characters"', async (_name, password) => {
    const res = await request(app).post('/api/users/signup').send({ email: 'a@test.com', password }).expect(400);
    expect(res.body).toEqual({ errors: [{ message: 'Password must be between 8 and 128 characters', field: 'password' }] });
    expect(await User.countDocuments()).toBe(0);
  });

  it.each([8, 128])('when the password has exactly %i characters, then 201', async (length) => {
    await signup(app, 'edge@test.com', 'p'.repeat(length)).expect(201);
  });

  it('when email and password are both bad, then one error per field, email first', async () => {
    const res = await request(app).post('/api/users/signup').send({ email: 'nope', password: 'short' }).expect(400);
    expect(res.body).toEqual({
      errors: [
        { message: 'Email must be valid', field: 'email' },
        { message: 'Password must be between 8 and 128 characters', field: 'password' },
      ],
    });
  });

  it('when the email is already in use, in another case and with spaces, then 400 "Email in use" and no second user', async () => {
    await signup(app, 'taken@test.com').expect(201);

    const res = await signup(app, '  TAKEN@Test.com ', 'otherpassword').expect(400);

    expect(res.body).toEqual({ errors: [{ message: 'Email in use', field: 'email' }] });
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(await User.countDocuments({ email: 'taken@test.com' })).toBe(1);
  });

  it('when one email signs up ten times at once, then exactly one 201 and the others "Email in use"', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => signup(app, 'race@test.com')));

    expect(results.map((r) => r.status).sort()).toEqual([201, ...Array(9).fill(400)]);
    for (const r of results.filter((r) => r.status === 400)) {
      expect(r.body).toEqual({ errors: [{ message: 'Email in use', field: 'email' }] });
    }
    expect(await User.countDocuments()).toBe(1);
  });

  it('when the email has spaces and capitals, then it is stored trimmed and lower-cased', async () => {
    const res = await signup(app, '  Mixed.Case@Example.COM ').expect(201);
    expect(res.body.email).toBe('mixed.case@example.com');
    expect(await User.findById(res.body.id).lean()).toMatchObject({ email: 'mixed.case@example.com' });
  });

  it('when two users pick the same password, then each stores a different salted scrypt hash, never the password', async () => {
    const a = await signup(app, 'a@test.com', 'same-password').expect(201);
    const b = await signup(app, 'b@test.com', 'same-password').expect(201);

    const [ha, hb] = await Promise.all([a, b].map(async (r) => (await User.findById(r.body.id).lean())!.password));
    expect(ha).toMatch(/^\$scrypt\$N=\d+,r=\d+,p=\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(ha).not.toContain('same-password');
    expect(ha).not.toBe(hb);
  });

  it('when signed up, then neither the response nor the logs contain the hash or the password', async () => {
    const { app: logged, lines } = testApp();
    const res = await signup(logged, 'secret@test.com', 'my-secret-password').expect(201);

    const { password: hash } = (await User.findById(res.body.id).lean())!;
    expect(Object.keys(res.body).sort()).toEqual(['email', 'id']);
    expect(res.text).not.toContain(hash);
    expect(lines.length).toBeGreaterThan(0);
    expect(JSON.stringify(lines)).not.toMatch(/my-secret-password|\$scrypt\$/);
  });

  it('when the email is a query operator, then 400 and nothing is stored', async () => {
    const res = await request(app).post('/api/users/signup').send({ email: { $gt: '' }, password: 'password123' }).expect(400);
    expect(res.body.errors[0]).toMatchObject({ field: 'email' });
    expect(await User.countDocuments()).toBe(0);
  });

  it('when the body is malformed JSON, then 400 in the error shape', async () => {
    const res = await request(app)
      .post('/api/users/signup')
      .set('Content-Type', 'application/json')
      .send('{"email": "a@test.com", ')
      .expect(400);
    expect(res.body).toEqual({ errors: [{ message: 'Malformed JSON body' }] });
  });

  describe('before hashing', () => {
    afterEach(() => jest.restoreAllMocks());

    it('when the email is already taken, then 400 "Email in use" without spending a hash', async () => {
      await signup(app, 'taken@test.com').expect(201);
      const hash = jest.spyOn(PasswordHasher.prototype, 'hash');

      const res = await signup(app, 'Taken@test.com', 'otherpassword', '198.51.100.20').expect(400);

      expect(res.body).toEqual({ errors: [{ message: 'Email in use', field: 'email' }] });
      expect(hash).not.toHaveBeenCalled();
    });

    it('when signed up, then the email entry points at the user, so the next check is an _id lookup', async () => {
      const res = await signup(app, '  New@Test.com ').expect(201);

      expect(await UserEmail.findById('new@test.com').lean()).toEqual({
        _id: 'new@test.com',
        userId: new mongoose.Types.ObjectId(res.body.id as string),
      });
    });

    it('when a user has no email entry (stored before entries existed), then the start-up backfill adds it and they sign in', async () => {
      const hashed = await new PasswordHasher(FAST_SCRYPT).hash('password123');
      const legacy = await User.create({ email: 'legacy@test.com', password: hashed });

      expect(await backfillUserEmails()).toBe(1);
      expect(await backfillUserEmails()).toBe(0);

      expect(await UserEmail.findById('legacy@test.com').lean()).toMatchObject({ userId: legacy._id });
      await signin(app, 'legacy@test.com').expect(200);
      await signup(app, 'legacy@test.com').expect(400, { errors: [{ message: 'Email in use', field: 'email' }] });
    });

    it('when the entry is missing and the email signs up again, then 400 "Email in use" and the entry is repaired', async () => {
      const legacy = await User.create({ email: 'legacy@test.com', password: 'x' });

      await signup(app, 'legacy@test.com').expect(400, { errors: [{ message: 'Email in use', field: 'email' }] });

      expect(await UserEmail.findById('legacy@test.com').lean()).toMatchObject({ userId: legacy._id });
      expect(await User.countDocuments()).toBe(1);
    });
  });

  describe('per client IP', () => {
    const signupLimits = { maxPerIp: 3, windowSeconds: 3600 };

    it('when one IP has used its sign-ups for the window, then 429 with Retry-After and nothing stored, while another IP still signs up', async () => {
      const { app: limited, lines } = testApp({ signupLimits });
      for (let i = 0; i < signupLimits.maxPerIp; i++) await signup(limited, `u${i}@test.com`, 'password123', '198.51.100.9').expect(201);

      const res = await signup(limited, 'one-more@test.com', 'password123', '198.51.100.9').expect(429);

      expect(res.body).toEqual({ errors: [{ message: 'Too many attempts, try again later' }] });
      const retryAfter = Number(res.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(signupLimits.windowSeconds - 60);
      expect(retryAfter).toBeLessThanOrEqual(signupLimits.windowSeconds);
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(await User.exists({ email: 'one-more@test.com' })).toBeNull();
      expect(await SignupAttempt.findById('ip:198.51.100.9').lean()).toMatchObject({ count: signupLimits.maxPerIp + 1 });
      expect(lines).toContainEqual(expect.objectContaining({ msg: 'signup rate limited', ip: '198.51.100.9' }));
      await signup(limited, 'one-more@test.com', 'password123', '198.51.100.10').expect(201);
    });

    it('when "Email in use" answers repeat from one IP, then they count too (no free probing of accounts)', async () => {
      const { app: limited } = testApp({ signupLimits });
      await signup(limited, 'taken@test.com', 'password123', '198.51.100.1').expect(201);
      for (let i = 0; i < signupLimits.maxPerIp; i++) await signup(limited, 'taken@test.com', 'password123', '198.51.100.2').expect(400);

      await signup(limited, 'taken@test.com', 'password123', '198.51.100.2').expect(429);
    });

    it('when the window has passed, then the IP may sign up again', async () => {
      const { app: limited } = testApp({ signupLimits });
      for (let i = 0; i <= signupLimits.maxPerIp; i++) await signup(limited, `u${i}@test.com`, 'password123', '198.51.100.9');
      await signup(limited, 'late@test.com', 'password123', '198.51.100.9').expect(429);

      const past = new Date(Date.now() - (signupLimits.windowSeconds + 1) * 1000);
      await SignupAttempt.updateMany({}, { $set: { windowStart: past } });

      await signup(limited, 'late@test.com', 'password123', '198.51.100.9').expect(201);
    });
  });

  describe('hashing capacity', () => {
    it('when the hashing capacity is taken, then 503 with Retry-After at once, nothing counted, stored or hashed', async () => {
      const gate = new HashGate({ concurrency: 1, queue: 0 });
      const { app: busy, lines } = testApp({ hashGate: gate });
      const hash = jest.spyOn(PasswordHasher.prototype, 'hash');
      const other = gate.admit();

      const started = Date.now();
      const res = await signup(busy, 'new@test.com').expect(503);

      expect(Date.now() - started).toBeLessThan(1_000);
      expect(res.body).toEqual({ errors: [{ message: 'Too busy right now, try again shortly' }] });
      expect(res.headers['retry-after']).toBe('1');
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(hash).not.toHaveBeenCalled();
      expect(await User.countDocuments()).toBe(0);
      expect(await SignupAttempt.countDocuments()).toBe(0);
      expect(lines).toContainEqual(expect.objectContaining({ msg: 'request', status: 503, url: '/api/users/signup' }));

      other.release();
      await signup(busy, 'new@test.com').expect(201);
      expect(gate.stats).toMatchObject({ shed: 1, peakAdmitted: 1 });
    });
  });
});
