import type { Logger } from '@ticketing/common';
import { Ticket } from './ticket';

/** What the list needs of a ticket: the shape of ticket:created / ticket:updated data. */
export interface ListedTicketState {
  id: string;
  version: number;
  title: string;
  price: number;
  userId: string;
  orderId?: string;
}

export interface ListPage {
  /** The page as a JSON array, newest first (serialised once per ticket change, not per request). */
  json: string;
  count: number;
  /** Cursor of the next page; absent on the last page. */
  nextCursor?: string;
}

/**
 * How far a refresh reaches back before the start of the previous one: a write stamps
 * `updatedAt` with its own replica's clock before it commits, so clocks may differ and a
 * write may commit a little after its stamp. Replica clocks are NTP-synchronised (within
 * milliseconds); 30 s also covers a write queued behind a slow database.
 */
export const CLOCK_SKEW_ALLOWANCE_MS = 30_000;

/** What a refresh reads: enough to apply a change, never the outbox or released orders. */
const STATE_FIELDS = { title: 1, price: 1, userId: 1, version: 1, orderId: 1 } as const;

/**
 * Documents per batch of a refresh or the start-up scan. The driver turns a whole batch into
 * objects at once, and with the services' 1 MB young generation a large batch outlives it and
 * is promoted: reading 20,000 changed tickets grew a process's resident memory by 21–22 MB
 * as one array, 19–21 MB in batches of 1,000 and 16–17 MB in batches of 200 (4.5 MB of it
 * the model itself), in the same time (4.0–4.8 s on FerretDB; bench/README.md, stop 22).
 */
const REFRESH_BATCH = 200;

interface Entry {
  version: number;
  /** The ticket's JSON as the API shows it; absent while it is reserved (not listed). */
  json?: string;
}

/** Index of the first id ≥ `id` in the ascending `ids` (ObjectId hex: text order = id order). */
function lowerBound(ids: string[], id: string): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid] < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The tickets for sale, in memory, ordered by id: the read model behind GET /api/tickets,
 * because FerretDB answers a filtered, sorted list only by reading the whole collection
 * under its one-request-at-a-time gate (11.5 ms per list at 5,000 tickets, 3.9 req/s).
 * One per process, like the Ticket model itself.
 *
 * Freshness:
 * - built at start by one scan of the unreserved tickets (`load`), before HTTP listens;
 * - this process's own writes are applied synchronously, before their response or ack
 *   (`apply`): a seller sees their new ticket in the list right after the 201;
 * - other replicas' writes are read back every `intervalMs` by `refresh` (tickets whose
 *   `updatedAt` is at most `CLOCK_SKEW_ALLOWANCE_MS` older than the previous refresh),
 *   so they show within intervalMs + one refresh query (`stalenessBoundMs`).
 * Every change carries the ticket's version and the higher version wins, so a stale read
 * (a refresh that started before our own write, a repeated change) never undoes a newer
 * one. Tickets are never deleted, so nothing needs removing except reserved ones.
 *
 * Memory: one serialised ticket per listed ticket (about 150 bytes plus the title) and a
 * version per reserved one: 20,000 tickets (18,000 listed) take about 7 MB of heap, 11 MB
 * with every title at its 200-character maximum (measured in the tests).
 */
export class ListedTickets {
  /** Every ticket seen, by id: its version, and its JSON while listed. */
  private entries = new Map<string, Entry>();
  /** Ids of the listed tickets, ascending: newest last. */
  private ids: string[] = [];
  /** Where the next refresh starts reading (`updatedAt` ≥ this). */
  private changesSince?: Date;
  /** Duration of the last refresh query, part of the staleness bound. */
  lastRefreshMs = 0;

  get size(): number {
    return this.ids.length;
  }

  /** Stores a ticket's state when it is newer than what we have; true when it changed the model. */
  apply(ticket: ListedTicketState): boolean {
    const id = ticket.id;
    const known = this.entries.get(id);
    if (known && known.version >= ticket.version) return false;
    const wasListed = known?.json !== undefined;
    const listed = !ticket.orderId;
    const json = listed
      ? JSON.stringify({ id, title: ticket.title, price: ticket.price, userId: ticket.userId, version: ticket.version })
      : undefined;
    this.entries.set(id, { version: ticket.version, json });
    if (listed && !wasListed) this.insertId(id);
    if (!listed && wasListed) this.ids.splice(lowerBound(this.ids, id), 1);
    return true;
  }

  /**
   * The ticket as this model last saw it, while it is listed (for sale); undefined when it
   * is reserved or unknown here. May be stale (another replica's change not refreshed yet):
   * a write that relies on it must check its version in its filter.
   */
  listed(id: string): ListedTicketState | undefined {
    const json = this.entries.get(id)?.json;
    return json === undefined ? undefined : (JSON.parse(json) as ListedTicketState);
  }

  /** A stored ticket (document or lean object) into the model. */
  applyStored(doc: { _id: unknown; version: number; title: string; price: number; userId: string; orderId?: string | null }): boolean {
    return this.apply({
      id: String(doc._id),
      version: doc.version,
      title: doc.title,
      price: doc.price,
      userId: doc.userId,
      ...(doc.orderId ? { orderId: doc.orderId } : {}),
    });
  }

  /**
   * Up to `limit` listed tickets, newest first, older than the ticket `before` (a cursor is
   * the id of the last ticket of the previous page; it needs not be listed any more, so a
   * ticket reserved between two pages shifts nothing: no duplicates, no gaps).
   */
  page(limit: number, before?: string): ListPage {
    const end = before === undefined ? this.ids.length : lowerBound(this.ids, before);
    const start = Math.max(0, end - limit);
    const parts: string[] = [];
    for (let i = end - 1; i >= start; i--) parts.push(this.entries.get(this.ids[i])!.json!);
    return { json: `[${parts.join(',')}]`, count: parts.length, ...(start > 0 ? { nextCursor: this.ids[start] } : {}) };
  }

  /**
   * The start-up scan: every unreserved ticket (on MongoDB from the {orderId, _id} index,
   * in id order, so each one is appended). Merges with whatever our own writes applied
   * meanwhile (listeners run before it finishes): the higher version wins.
   */
  async load(): Promise<number> {
    const startedAt = Date.now();
    let count = 0;
    const cursor = Ticket.find({ orderId: null }, STATE_FIELDS).sort({ _id: 1 }).lean().cursor({ batchSize: REFRESH_BATCH });
    for await (const doc of cursor) {
      this.applyStored(doc);
      count++;
    }
    this.changesSince = new Date(startedAt - CLOCK_SKEW_ALLOWANCE_MS);
    return count;
  }

  /** Applies what other replicas changed since the previous refresh (or load); returns how many applied. */
  async refresh(): Promise<number> {
    const startedAt = Date.now();
    const filter = this.changesSince ? { updatedAt: { $gte: this.changesSince } } : {};
    // Streamed in small batches, as `load`: a burst of changes (a bulk import, the bench's
    // seed of 20,000) is never one array of documents promoted to the old generation.
    let applied = 0;
    for await (const doc of Ticket.find(filter, STATE_FIELDS).lean().cursor({ batchSize: REFRESH_BATCH })) {
      if (this.applyStored(doc)) applied++;
    }
    this.changesSince = new Date(startedAt - CLOCK_SKEW_ALLOWANCE_MS);
    this.lastRefreshMs = Date.now() - startedAt;
    return applied;
  }

  /**
   * The longest a change made by another replica stays invisible: it is read by the first
   * refresh starting after it, which starts at most `intervalMs` later and takes one query.
   */
  stalenessBoundMs(intervalMs: number): number {
    return intervalMs + this.lastRefreshMs;
  }

  /** Refreshes every `intervalMs` (measured start to start) until `stop` resolves. */
  keepFresh(intervalMs: number, logger: Logger): { stop(): Promise<void> } {
    const state: { timer?: NodeJS.Timeout; running?: Promise<void>; stopped: boolean } = { stopped: false };
    const tick = () => {
      const startedAt = Date.now();
      state.running = this.refresh()
        .then((applied) => {
          if (applied > 0) logger.debug({ applied, ms: this.lastRefreshMs }, 'ticket list refreshed');
        })
        .catch((err) => logger.warn({ err }, 'ticket list refresh failed, serving the previous list'))
        .finally(() => {
          if (!state.stopped) state.timer = setTimeout(tick, Math.max(0, startedAt + intervalMs - Date.now()));
        });
    };
    state.timer = setTimeout(tick, intervalMs);
    return {
      stop: async () => {
        state.stopped = true;
        clearTimeout(state.timer);
        await state.running;
      },
    };
  }

  /** Forgets everything (tests: the database was emptied). */
  clear(): void {
    this.entries.clear();
    this.ids = [];
    this.changesSince = undefined;
    this.lastRefreshMs = 0;
  }

  private insertId(id: string) {
    const ids = this.ids;
    // New tickets have the highest ids: the common case is an append.
    if (ids.length === 0 || ids[ids.length - 1] < id) ids.push(id);
    else ids.splice(lowerBound(ids, id), 0, id);
  }
}

export const listedTickets = new ListedTickets();
