import jwt from 'jsonwebtoken';
import request from 'supertest';
import { sessionCookieValue, signSessionToken } from '@ticketing/common';
import { signinCookie } from '@ticketing/common/testing';
import { sessionCookie, signup, testApp } from '../../test/helpers';

const { app } = testApp({ sessionTtlSeconds: 3600 });
const currentUser = (cookie?: string[]) => {
  const req = request(app).get('/api/users/currentuser');
  return (cookie ? req.set('Cookie', cookie) : req).expect(200);
};

describe('GET /api/users/currentuser', () => {
  it('when signed up, then {id, email, iat, exp} with exp one session TTL after iat', async () => {
    const signedUp = await signup(app, 'me@test.com').expect(201);

    const res = await currentUser(sessionCookie(signedUp));

    expect(res.body).toEqual({
      currentUser: { id: signedUp.body.id, email: 'me@test.com', iat: expect.any(Number), exp: expect.any(Number) },
    });
    expect(res.body.currentUser.exp - res.body.currentUser.iat).toBe(3600);
  });

  it('when the cookie is one any other service would accept, then it is accepted here too', async () => {
    const res = await currentUser(signinCookie({ id: 'abc', email: 'x@test.com' }));
    expect(res.body.currentUser).toMatchObject({ id: 'abc', email: 'x@test.com' });
  });

  it('when there is no cookie, then currentUser is null', async () => {
    expect((await currentUser()).body).toEqual({ currentUser: null });
  });

  const user = { id: '5f8d0d55b54764421b7156c3', email: 'me@test.com' };
  it.each([
    ['garbage', ['session=%%%not-base64-json']],
    ['JSON without a jwt', [`session=${Buffer.from('{"foo":1}').toString('base64')}`]],
    ['a jwt that is not a JWT', [sessionCookieValue('not.a.jwt')]],
    ['forged with another key', [sessionCookieValue(signSessionToken(user, 'another-key-another-key-another'))]],
    ['expired', [sessionCookieValue(jwt.sign({ ...user, iat: 1000, exp: 2000 }, process.env.JWT_KEY as string))]],
    ['alg none', [sessionCookieValue(jwt.sign(user, '', { algorithm: 'none' }))]],
  ])('when the cookie is %s, then currentUser is null (signed out, not an error)', async (_name, cookie) => {
    expect((await currentUser(cookie)).body).toEqual({ currentUser: null });
  });
});
