import request from 'supertest';
import { LoginAttempt } from '../../models/login-attempt';
import { User } from '../../models/user';
import { PasswordHasher } from '../../services/password';
import { FAST_SCRYPT, sessionCookie, signin, signup, testApp } from '../../test/app';

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
    await User.create({ email: 'old@test.com', password: old });

    await signin(app, 'old@test.com').expect(200);

    const { password } = (await User.findOne({ email: 'old@test.com' }).lean())!;
    expect(password).not.toBe(old);
    expect(password.startsWith(`$scrypt$N=${FAST_SCRYPT.N},r=8,p=1$`)).toBe(true);
    await signin(app, 'old@test.com').expect(200);
  });

  describe('rate limits', () => {
    it('when an email failed 5 times, then the 6th attempt gets 429 with Retry-After, even with the right password', async () => {
      const { app: logged, lines } = testApp({ signinLimits: limits });
      await signup(logged, 'victim@test.com').expect(201);
      for (let i = 0; i < 5; i++) await signin(logged, 'victim@test.com', 'wrong-password').expect(400, invalidCredentials);

      const res = await signin(logged, 'victim@test.com').expect(429);

      expect(res.body).toEqual({ errors: [{ message: 'Too many attempts, try again later' }] });
      const retryAfter = Number(res.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(limits.windowSeconds - 60);
      expect(retryAfter).toBeLessThanOrEqual(limits.windowSeconds);
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(lines).toContainEqual(expect.objectContaining({ msg: 'signin rate limited', limitedBy: ['email'] }));
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

    it('when 20 wrong guesses for one email arrive at once, then exactly 5 are checked and the rest get 429', async () => {
      await signup(app, 'victim@test.com').expect(201);

      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => signin(app, 'victim@test.com', 'wrong-password', `192.0.2.${i}`)),
      );

      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 400)).toHaveLength(limits.maxFailures);
      expect(statuses.filter((s) => s === 429)).toHaveLength(20 - limits.maxFailures);
    });
  });
});
