import type { Model } from 'mongoose';
import { EventOutOfOrderError } from '../bus/listener';
import { replicaChanged } from './replica-arrivals';

export type VersionedOutcome = 'applied' | 'already-applied';

/**
 * Applies a versioned event to a replica (DESIGN.md §3) in one conditional write: it lands
 * only when the replica is at `version - 1`. An event at or below the stored version was
 * applied before (a redelivery): nothing changes. Anything else is a gap, or a replica
 * that does not exist yet: EventOutOfOrderError, so the message is not acked and comes
 * back once the missing event has arrived.
 */
export async function applyNextVersion(
  model: Model<any>, // eslint-disable-line @typescript-eslint/no-explicit-any
  id: string,
  version: number,
  set: Record<string, unknown>,
): Promise<VersionedOutcome> {
  // Lean: whether it landed is all this needs, so no document is built. (No projection:
  // FerretDB refuses one on findAndModify.)
  const applied = await model.findOneAndUpdate({ _id: id, version: version - 1 }, { $set: { ...set, version } }).lean();
  if (applied) {
    // A copy of the replica kept since it arrived (keepArrivals) is out of date now.
    replicaChanged(model.modelName, id);
    return 'applied';
  }
  const local = (await model.findById(id, { version: 1 }).lean()) as { version?: number } | null;
  if (local && typeof local.version === 'number' && local.version >= version) return 'already-applied';
  throw new EventOutOfOrderError(
    `${model.modelName} ${id}: event v${version} arrived while the replica is at ${local ? `v${local.version}` : 'nothing'}`,
  );
}
