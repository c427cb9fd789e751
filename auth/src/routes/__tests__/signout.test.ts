import request from 'supertest';
import { sessionCookie, signup, testApp } from '../../test/helpers';

const { app } = testApp();

describe('POST /api/users/signout', () => {
  it('when signed in, then 200 {} and the session cookie is cleared', async () => {
    const signedIn = await signup(app, 'me@test.com').expect(201);

    const res = await request(app).post('/api/users/signout').set('Cookie', sessionCookie(signedIn)).expect(200);

    expect(res.body).toEqual({});
    const cleared = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('session='));
    expect(cleared).toMatch(/^session=;/);
    expect(cleared).toMatch(/expires=Thu, 01 Jan 1970 00:00:00 GMT/i);
    const me = await request(app).get('/api/users/currentuser').set('Cookie', sessionCookie(res)).expect(200);
    expect(me.body).toEqual({ currentUser: null });
  });

  it('when not signed in, then still 200 {}', async () => {
    await request(app).post('/api/users/signout').expect(200, {});
  });

  it('when called with GET, then 404 (signing out changes state, so only POST)', async () => {
    await request(app).get('/api/users/signout').expect(404, { errors: [{ message: 'Not Found' }] });
  });
});
