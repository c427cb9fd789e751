import request from 'supertest';
import { createUser } from '../../models/user';
import { PasswordHasher } from '../../services/password';
import { FAST_SCRYPT, testApp } from '../../test/helpers';

/** The attributes of the `session` cookie a response sets, by lower-cased name. */
function sessionAttributes(res: request.Response): Map<string, string> | undefined {
  const header = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('session='));
  if (!header) return undefined;
  return new Map(
    header.split(';').map((part) => {
      const [name, ...value] = part.trim().split('=');
      return [name.toLowerCase(), value.join('=')] as [string, string];
    }),
  );
}

const credentials = { email: 'me@test.com', password: 'password123' };

// Signup makes the user; signin needs one to exist.
const routes: [string, number, () => Promise<unknown>][] = [
  ['signup', 201, async () => undefined],
  [
    'signin',
    200,
    async () => createUser(credentials.email, await new PasswordHasher(FAST_SCRYPT).hash(credentials.password)),
  ],
];

describe.each(routes)('the session cookie of %s', (route, status, prepare) => {
  const post = (cookieSecure: boolean, https: boolean) => {
    const { app } = testApp({ cookieSecure, sessionTtlSeconds: 7200 });
    const req = request(app).post(`/api/users/${route}`);
    return (https ? req.set('X-Forwarded-Proto', 'https') : req).send(credentials).expect(status);
  };

  it('when COOKIE_SECURE is false, then it is httpOnly, SameSite=Lax, not Secure, and lives one session TTL', async () => {
    await prepare();
    const cookie = sessionAttributes(await post(false, false));
    expect(cookie?.has('httponly')).toBe(true);
    expect(cookie?.get('samesite')).toBe('lax');
    expect(cookie?.has('secure')).toBe(false);
    const expires = Date.parse(cookie?.get('expires') ?? '');
    expect(Math.abs(expires - (Date.now() + 7200 * 1000))).toBeLessThan(5_000);
  });

  it('when COOKIE_SECURE is true behind an HTTPS proxy, then it is also Secure', async () => {
    await prepare();
    const cookie = sessionAttributes(await post(true, true));
    expect(cookie?.has('httponly')).toBe(true);
    expect(cookie?.get('samesite')).toBe('lax');
    expect(cookie?.has('secure')).toBe(true);
  });

  it('when COOKIE_SECURE is true but the request came over plain HTTP, then no cookie is sent at all', async () => {
    await prepare();
    expect(sessionAttributes(await post(true, false))).toBeUndefined();
  });
});
