import { ServiceUnavailableError } from '../errors';

/**
 * 503: a compare-and-set lost every round to other writes of the same document. Each lost
 * round was someone else's successful write, so only a write storm on one document gets
 * here, and trying again shortly is the right answer (a listener retries, then
 * dead-letters). The message names the kind of document, never its id; `id` and `attempts`
 * are for the logs.
 */
export class ConcurrentUpdateError extends ServiceUnavailableError {
  constructor(
    readonly documentName: string,
    readonly id: string,
    readonly attempts: number,
  ) {
    super(`${documentName} is busy, try again`);
  }
}

/** What `plan` decides on the document as read: the answer without a write, or the change to write. */
export type Decision<Change, Done> = { done: Done } | { write: Change };

export interface CompareAndSetSteps<Doc, Change, Done, Written> {
  /** Names the document in ConcurrentUpdateError: its kind (`Ticket`, `Order`) and id. */
  documentName: string;
  id: string;
  /** Rounds of read → plan → write before giving up. */
  attempts: number;
  /** Reads the document as it is now (null or undefined when there is none, if the caller allows it). */
  read(): PromiseLike<Doc>;
  /** Decides on what `read` returned; it may throw to refuse (the error goes to the caller). */
  plan(current: Doc): Decision<Change, Done>;
  /**
   * Writes `change` in one conditional single-document write that lands only while the
   * document is still as `current` was read (its filter holds the compare-and-set tokens),
   * events included in the same write. Answers null when it did not land: another write
   * got there first. Only called for a document that exists: with none, `plan` answers `done`.
   */
  write(current: NonNullable<Doc>, change: Change): PromiseLike<Written | null>;
  /**
   * The common case written without a read, before the first round: one conditional write
   * whose filter states everything `plan` would check for it (a status, a missing field),
   * so it lands only where `plan` would have written the same change. Answers null when it
   * did not land; the rounds then read and decide as usual. Saves the read of the path that
   * runs most, and cannot write over a state `plan` would have refused.
   */
  optimistic?(): PromiseLike<Written | null>;
}

/**
 * Read → decide → conditional write, again whenever another write landed in between
 * (DESIGN.md §4: never check-then-save). Every round decides on a fresh read, so a change is
 * never written over a state `plan` did not see. Returns what `plan` answered without a
 * write, or what the landed write answered. After `attempts` lost rounds:
 * ConcurrentUpdateError (503). An `optimistic` write, when given, is tried first.
 */
export async function compareAndSet<Doc, Change, Done, Written>(
  steps: CompareAndSetSteps<Doc, Change, Done, Written>,
): Promise<Done | Written> {
  if (steps.optimistic) {
    const written = await steps.optimistic();
    if (written !== null) return written;
  }
  for (let round = 1; round <= steps.attempts; round++) {
    const current = await steps.read();
    const decision = steps.plan(current);
    if ('done' in decision) return decision.done;
    if (current === null || current === undefined) {
      throw new Error(`${steps.documentName} ${steps.id}: a change was planned for a document that does not exist`);
    }
    const written = await steps.write(current, decision.write);
    if (written !== null) return written;
  }
  throw new ConcurrentUpdateError(steps.documentName, steps.id, steps.attempts);
}
