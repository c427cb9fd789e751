import type { Model } from 'mongoose';
import { isDuplicateKeyError } from '../errors';
import { insertDocument } from '../outbox/insert-document';
import type { VersionedOutcome } from './apply-next-version';
import { replicaArrived } from './replica-arrivals';

/**
 * Starts a replica from the event that creates its entity (ticket:created, order:created),
 * in one insert keyed by the entity's id. A duplicate key means the replica is already
 * there: a redelivery, or an event that arrived later and already moved it on (a cancelled
 * order is newer than its order:created), so it is left exactly as it is. The `_id` must be
 * the replica's only unique key, or a clash on another key would pass for a redelivery.
 * Either way the replica now exists: a request of this process waiting for it (readReplica)
 * is woken, and handed the document as inserted (or left to read the one found there).
 * The document is cast to the schema and gets its defaults, as stored; per-path validators
 * do not run (insertDocument): the event was checked against its schema on arrival.
 */
export async function createReplica<T>(model: Model<T>, doc: Partial<T> & { _id: string }): Promise<VersionedOutcome> {
  try {
    // Without a mongoose document (insertDocument): a replica is built from a checked event.
    const created = await insertDocument(model, doc as Partial<T> & Record<string, unknown>);
    replicaArrived(model.modelName, doc._id, created as Record<string, unknown>);
    return 'applied';
  } catch (err) {
    if (!isDuplicateKeyError(err)) throw err;
    replicaArrived(model.modelName, doc._id);
    return 'already-applied';
  }
}
