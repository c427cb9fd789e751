import type { SealedEnvelope } from '../events/envelope';

/**
 * An event waiting in a document's `outbox` array: a sealed envelope. Its envelope is kept
 * as one string so the relay can remove exactly this element with `$pull` of the whole
 * element: FerretDB ignores `$pull` conditions, and an exact string compares equal everywhere.
 */
export type OutboxEntry = SealedEnvelope;
