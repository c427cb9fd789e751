import type { Model } from 'mongoose';
import { isDuplicateKeyError } from '../errors';
import type { VersionedOutcome } from './apply-next-version';

/**
 * Starts a replica from the event that creates its entity (ticket:created, order:created),
 * in one insert keyed by the entity's id. A duplicate key means the replica is already
 * there: a redelivery, or an event that arrived later and already moved it on (a cancelled
 * order is newer than its order:created), so it is left exactly as it is. The `_id` must be
 * the replica's only unique key, or a clash on another key would pass for a redelivery.
 */
export async function createReplica<T>(model: Model<T>, doc: Partial<T> & { _id: string }): Promise<VersionedOutcome> {
  try {
    await model.create(doc);
    return 'applied';
  } catch (err) {
    if (isDuplicateKeyError(err)) return 'already-applied';
    throw err;
  }
}
