import request from 'supertest';
import { User } from '../../models/user';
import { sessionCookie, signup, testApp } from '../../test/app';

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
});
