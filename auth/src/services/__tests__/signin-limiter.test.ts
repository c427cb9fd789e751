import { LoginAttempt } from '../../models/login-attempt';
import { SigninLimiter } from '../signin-limiter';

const limits = { maxFailures: 3, maxFailuresPerIp: 10, windowSeconds: 60 };

function clockedLimiter(start = Date.now()) {
  const clock = { now: start };
  return { limiter: new SigninLimiter(limits, () => clock.now), clock };
}

const pair = SigninLimiter.pairKey;

describe('SigninLimiter', () => {
  it('when 25 attempts for a new email from one client arrive at once, then each is counted exactly once', async () => {
    const { limiter } = clockedLimiter();

    await Promise.all(Array.from({ length: 25 }, () => limiter.reserve('race@test.com', '10.0.0.1')));

    expect(await LoginAttempt.findById(pair('race@test.com', '10.0.0.1')).lean()).toMatchObject({ count: 25 });
    expect(await LoginAttempt.findById('ip:10.0.0.1').lean()).toMatchObject({ count: 25 });
  });

  it('when one email used up its attempts from one IP, then the same email from another IP is still allowed', async () => {
    const { limiter } = clockedLimiter();
    for (let i = 0; i < limits.maxFailures; i++) await limiter.reserve('owner@test.com', 'stranger');

    expect(await limiter.reserve('owner@test.com', 'stranger')).toMatchObject({ allowed: false, limitedBy: ['email-ip'] });
    expect(await limiter.reserve('owner@test.com', 'owner-ip')).toMatchObject({ allowed: true });
    expect(await LoginAttempt.findById('email:owner@test.com').lean()).toBeNull();
  });

  it('when the limit is reached, then the next attempt waits until the window ends', async () => {
    const { limiter, clock } = clockedLimiter();
    for (let i = 0; i < limits.maxFailures; i++) expect((await limiter.reserve('a@test.com', 'ip1')).allowed).toBe(true);

    clock.now += 20_000;
    const refused = await limiter.reserve('a@test.com', 'ip1');

    expect(refused).toEqual({ allowed: false, retryAfterSeconds: 40, limitedBy: ['email-ip'] });
  });

  it('when the window has ended, then counting starts again at one', async () => {
    const { limiter, clock } = clockedLimiter();
    for (let i = 0; i < limits.maxFailures + 1; i++) await limiter.reserve('a@test.com', 'ip1');

    clock.now += limits.windowSeconds * 1000 + 1;

    expect(await limiter.reserve('a@test.com', 'ip1')).toMatchObject({ allowed: true });
    expect(await LoginAttempt.findById(pair('a@test.com', 'ip1')).lean()).toMatchObject({
      count: 1,
      windowStart: new Date(clock.now),
    });
  });

  it('when a success belongs to an older IP window, then the new window is not decremented', async () => {
    const { limiter, clock } = clockedLimiter();
    const old = await limiter.reserve('a@test.com', 'ip1');
    clock.now += limits.windowSeconds * 1000 + 1;
    await limiter.reserve('b@test.com', 'ip1');

    if (!old.allowed) throw new Error('expected the first attempt to be allowed');
    await limiter.succeeded(old);

    expect(await LoginAttempt.findById('ip:ip1').lean()).toMatchObject({ count: 1 });
  });

  it('when swept, then only counters whose window is over are removed', async () => {
    const { limiter, clock } = clockedLimiter();
    await limiter.reserve('old@test.com', 'ip-old');
    clock.now += limits.windowSeconds * 1000 - 1_000;
    await limiter.reserve('new@test.com', 'ip-new');
    clock.now += 2_000;

    expect(await limiter.deleteExpired()).toBe(2);

    const left = await LoginAttempt.find().lean();
    expect(left.map((c) => c._id).sort()).toEqual([pair('new@test.com', 'ip-new'), 'ip:ip-new']);
  });
});
