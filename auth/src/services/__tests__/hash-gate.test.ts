import { ServiceUnavailableError } from '@ticketing/common';
import { HashGate, HashingBusyError } from '../hash-gate';

/** Pieces of work that run until the test lets them finish. */
function heldWork() {
  let started = 0;
  const finishers: (() => void)[] = [];
  const work = () =>
    new Promise<string>((resolve) => {
      started++;
      finishers.push(() => resolve('done'));
    });
  return { work, started: () => started, finishNext: () => finishers.shift()?.() };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('HashGate', () => {
  it('when more requests arrive than slots plus queue, then the excess is refused at once with 503 and Retry-After', () => {
    const gate = new HashGate({ concurrency: 2, queue: 1 }, 1);
    const admitted = [gate.admit(), gate.admit(), gate.admit()];

    const refusals = [0, 1].map(() => {
      try {
        gate.admit();
        return undefined;
      } catch (err) {
        return err;
      }
    });

    for (const err of refusals) {
      expect(err).toBeInstanceOf(HashingBusyError);
      expect(err).toBeInstanceOf(ServiceUnavailableError);
      expect(err).toMatchObject({ statusCode: 503, retryAfterSeconds: 1 });
    }
    expect(gate.stats).toMatchObject({ peakAdmitted: 3, shed: 2 });
    admitted[0].release();
    expect(() => gate.admit()).not.toThrow();
  });

  it('when admitted requests hash at once, then no more than the cap run and the next starts as one ends', async () => {
    const gate = new HashGate({ concurrency: 1, queue: 2 });
    const held = heldWork();
    const admissions = [gate.admit(), gate.admit(), gate.admit()];
    const all = admissions.map((a) => a.run(held.work));
    await tick();
    expect(held.started()).toBe(1);

    held.finishNext();
    await tick();
    expect(held.started()).toBe(2);
    held.finishNext();
    await tick();
    held.finishNext();

    await expect(Promise.all(all)).resolves.toEqual(['done', 'done', 'done']);
    expect(gate.stats.peakActive).toBe(1);
  });

  it('when the work throws, then its slot is freed all the same', async () => {
    const gate = new HashGate({ concurrency: 1, queue: 1 });
    const [a, b] = [gate.admit(), gate.admit()];
    await expect(a.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(b.run(async () => 'ok')).resolves.toBe('ok');
  });

  it('when an admission is released twice, then it frees one place only', () => {
    const gate = new HashGate({ concurrency: 1, queue: 0 });
    const a = gate.admit();
    a.release();
    a.release();
    gate.admit();
    expect(() => gate.admit()).toThrow(HashingBusyError);
  });

  it('when every slot is busy, then runIfIdle skips the work instead of waiting', async () => {
    const gate = new HashGate({ concurrency: 1, queue: 1 });
    const held = heldWork();
    const running = gate.admit().run(held.work);
    await tick();

    await expect(gate.admit().runIfIdle(held.work)).resolves.toBeUndefined();
    expect(held.started()).toBe(1);
    held.finishNext();
    await running;
  });
});
