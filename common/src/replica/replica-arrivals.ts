import { isObjectId } from '../http/object-id';
import { metrics } from '../metrics/metrics';

/**
 * Read-your-writes across services, bounded. A buyer who orders a ticket the moment it is
 * listed, or pays the moment the order is placed, names a document that the service it
 * asks learns of only from an event a few milliseconds behind (ticket:created → orders'
 * ticket replica, order:created → payments' order replica). Answering 404 then would send
 * every such client into a polling loop (GitTix's behaviour); instead the request waits,
 * briefly, for the replica to arrive.
 *
 * Only for an id that can be on its way: an ObjectId minted within `maxAgeMs` (its first
 * four bytes are its creation second). Anything older, or malformed, is answered at once,
 * so a forged id costs a waiter slot for at most `timeoutMs`, and at most `maxWaiters` wait
 * at a time per process (beyond that, the request is answered from one read, as before).
 *
 * The wait is woken by this process's own listener (`createReplica` signals every replica it
 * starts); with several replicas of the service the event may land in another one, so the
 * document is also read again after `recheckMs`, then twice as long each time, until
 * `timeoutMs` (with the defaults: reads at 0, 0.25, 0.75 and 1.75 s, and one at 2 s — a
 * request for an id that never arrives costs five `_id` reads, not one per tick).
 */
export interface ReplicaWaitOptions {
  timeoutMs: number;
  recheckMs: number;
  maxAgeMs: number;
  maxWaiters: number;
}

/**
 * Turns the document `createReplica` just inserted (as stored: `toObject()` of the created
 * document) into what `read` returns, so a woken request needs no second read.
 */
export type FromArrival<T> = (stored: Record<string, unknown>) => T;

export const REPLICA_WAIT: ReplicaWaitOptions = { timeoutMs: 2_000, recheckMs: 250, maxAgeMs: 60_000, maxWaiters: 1_000 };

const waiting = new Map<string, Set<(stored?: Record<string, unknown>) => void>>();
let waiters = 0;

const keyOf = (model: string, id: string) => `${model}:${id.toLowerCase()}`;

/** How long, and how many, arrivals of one model a process keeps (`keepArrivals`). */
export interface KeptArrivals {
  forMs: number;
  max: number;
}
const keeping = new Map<string, KeptArrivals>();
/** Kept arrivals by key, oldest first (a new arrival of a key goes to the end). */
const kept = new Map<string, { model: string; stored: Record<string, unknown>; at: number }>();

/**
 * Keeps the replicas of `model` that this process's listener inserted, for `forMs` (at most
 * `max`), so that a request naming one right after it arrived (the client that pays the
 * moment it has its order) is answered from the copy, without a read. Only for a replica
 * whose copy stays true enough: fields that never change, and a status the caller checks
 * again where it matters (payments reads the order's status again after storing the
 * attempt, DESIGN.md §4). A change this process makes through `applyNextVersion` drops the
 * copy at once; one another replica of the service applies is unseen here, so a copy may
 * be stale for at most `forMs` (the staleness bound). Off unless a service asks for it.
 */
export function keepArrivals(model: string, policy: KeptArrivals): void {
  keeping.set(model, policy);
}

/** The replica changed after it arrived: its kept copy (if any) is no longer used. */
export function replicaChanged(model: string, id: string): void {
  kept.delete(keyOf(model, id));
}

/** Forgets every kept copy (tests: the database was emptied); what is kept from now on stays as asked. */
export function clearKeptArrivals(): void {
  kept.clear();
}

function keep(model: string, id: string, stored: Record<string, unknown>): void {
  const policy = keeping.get(model);
  if (!policy) return;
  const key = keyOf(model, id);
  const now = Date.now();
  kept.delete(key);
  kept.set(key, { model, stored, at: now });
  // Oldest first: drop what is past its time (any model's policy) or over the cap.
  for (const [k, v] of kept) {
    const p = keeping.get(v.model);
    if (p && now - v.at <= p.forMs && kept.size <= p.max) break;
    kept.delete(k);
  }
}

/** The kept copy of the replica, while it may be used. */
function keptCopy(model: string, id: string): Record<string, unknown> | undefined {
  const policy = keeping.get(model);
  if (!policy) return undefined;
  const key = keyOf(model, id);
  const k = kept.get(key);
  if (!k) return undefined;
  if (Date.now() - k.at > policy.forMs) {
    kept.delete(key);
    return undefined;
  }
  return k.stored;
}

/**
 * Called once a replica document exists: wakes its waiters, handing them the document as
 * inserted (`stored`), or nothing when it was found already there (they read it).
 */
export function replicaArrived(model: string, id: string, stored?: Record<string, unknown>): void {
  if (stored) keep(model, id, stored);
  const key = keyOf(model, id);
  const wake = waiting.get(key);
  if (!wake) return;
  waiting.delete(key);
  for (const w of wake) w(stored);
}

/** Whether the id is an ObjectId minted within `maxAgeMs` (a little clock skew allowed ahead). */
export function isRecentObjectId(id: string, maxAgeMs: number, now = Date.now()): boolean {
  if (!isObjectId(id)) return false;
  const mintedMs = parseInt(id.slice(0, 8), 16) * 1000;
  return mintedMs >= now - maxAgeMs && mintedMs <= now + 5_000;
}

/**
 * Reads a replica document with `read`; when it is missing and its id is recent, waits for
 * it (see above) and reads again, until `timeoutMs`. Returns what the last read returned.
 * With `fromArrival`, a copy kept by `keepArrivals` answers first, without a read.
 */
export async function readReplica<T>(
  model: string,
  id: string,
  read: () => Promise<T | null>,
  opts: Partial<ReplicaWaitOptions> & { fromArrival?: FromArrival<T> } = {},
): Promise<T | null> {
  const o = { ...REPLICA_WAIT, ...opts };
  // Arrived a moment ago and kept (keepArrivals): the copy, without a read.
  const copy = o.fromArrival && keptCopy(model, id);
  if (copy) {
    metrics.replicaWaits.inc({ model, outcome: 'kept' });
    return o.fromArrival!(copy);
  }
  if (!isRecentObjectId(id, o.maxAgeMs) || waiters >= o.maxWaiters) return read();
  const key = keyOf(model, id);
  let arrived = false;
  let handed: Record<string, unknown> | undefined;
  let wake: (() => void) | undefined;
  const onArrival = (stored?: Record<string, unknown>) => {
    arrived = true;
    handed = stored;
    wake?.();
  };
  // Registered before the first read: an arrival between that read and the wait still counts.
  let set = waiting.get(key);
  if (!set) waiting.set(key, (set = new Set()));
  set.add(onArrival);
  waiters++;
  const deadline = Date.now() + o.timeoutMs;
  let waited = false;
  let pause = o.recheckMs;
  try {
    for (;;) {
      // Woken with the document as inserted: no need to read it.
      if (handed && o.fromArrival) {
        metrics.replicaWaits.inc({ model, outcome: 'arrived' });
        return o.fromArrival(handed);
      }
      arrived = false;
      const doc = await read();
      if (doc) {
        if (waited) metrics.replicaWaits.inc({ model, outcome: 'arrived' });
        return doc;
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        metrics.replicaWaits.inc({ model, outcome: 'timed_out' });
        return null;
      }
      waited = true;
      if (!arrived) {
        const ms = Math.min(pause, left);
        pause *= 2;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, ms);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
      // Woken (or rechecking): listen again for the next arrival of the same id.
      if (!waiting.get(key)?.has(onArrival)) {
        let again = waiting.get(key);
        if (!again) waiting.set(key, (again = new Set()));
        again.add(onArrival);
      }
    }
  } finally {
    waiters--;
    const s = waiting.get(key);
    if (s) {
      s.delete(onArrival);
      if (s.size === 0) waiting.delete(key);
    }
  }
}
