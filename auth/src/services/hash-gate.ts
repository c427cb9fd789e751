import { ServiceUnavailableError } from '@ticketing/common';

export interface HashLimits {
  /** Hashes allowed to run at once in this process (one scrypt keeps one core busy). */
  concurrency: number;
  /**
   * Requests admitted beyond the running hashes: they do their database checks, or wait
   * for a slot, while the slots are busy, so a core never idles between two requests.
   * A long queue would only add delay.
   */
  queue: number;
}

/** Refused because the hashing capacity is taken: 503, retry shortly. */
export class HashingBusyError extends ServiceUnavailableError {
  constructor(retryAfterSeconds = 1) {
    super('Too busy right now, try again shortly', retryAfterSeconds);
  }
}

/** One admitted request's right to hash; `release` it when the request is done. */
export interface HashAdmission {
  /** Runs `work` in a hashing slot, after waiting for one if need be (a bounded wait). */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Runs `work` only if a slot is free now; otherwise skips it (resolves undefined). */
  runIfIdle<T>(work: () => Promise<T>): Promise<T | undefined>;
  release(): void;
}

/**
 * The cap on password hashing of one process, in two parts:
 * - admission: at most `concurrency + queue` requests that may hash are in progress at once;
 *   any more is refused at once (503 + Retry-After), before any database work, so a burst
 *   neither waits for seconds nor loads the database;
 * - slots: at most `concurrency` of the admitted requests run scrypt at the same time.
 * Without the cap a burst queues hashes on libuv's thread pool (4 threads by default) for
 * seconds, holds 32 MiB each, and delays every other use of the pool (DNS, file I/O).
 */
export class HashGate {
  private admitted = 0;
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  /** For tests and the bench: the most ever hashing and admitted at once, and how many were refused. */
  readonly stats = { peakActive: 0, peakAdmitted: 0, shed: 0 };

  constructor(
    readonly limits: HashLimits,
    private readonly retryAfterSeconds = 1,
  ) {}

  /** Admits one request, or throws HashingBusyError (503) at once when the capacity is taken. */
  admit(): HashAdmission {
    if (this.admitted >= this.limits.concurrency + this.limits.queue) {
      this.stats.shed++;
      throw new HashingBusyError(this.retryAfterSeconds);
    }
    this.admitted++;
    this.stats.peakAdmitted = Math.max(this.stats.peakAdmitted, this.admitted);
    let released = false;
    return {
      run: (work) => this.inSlot(work),
      runIfIdle: async (work) => (this.active < this.limits.concurrency ? this.inSlot(work) : undefined),
      release: () => {
        if (released) return;
        released = true;
        this.admitted--;
      },
    };
  }

  private async inSlot<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.limits.concurrency) {
      // `freeSlot` hands its slot over, so `active` already counts this work when it wakes.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    this.stats.peakActive = Math.max(this.stats.peakActive, this.active);
    try {
      return await work();
    } finally {
      this.freeSlot();
    }
  }

  private freeSlot(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}
