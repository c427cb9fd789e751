import type { Model } from 'mongoose';
import { EventOutOfOrderError } from '../bus/listener';
import { updateAndReturn } from '../outbox/driver-ops';
import { replicaChanged } from './replica-arrivals';

/**
 * The event's fields cast to the replica's schema (ObjectIds, Dates from their text), unknown
 * ones dropped, as mongoose's query casts a `$set`. A null stays null (it clears the field;
 * castObject would drop it).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function castFields(model: Model<any>, set: Record<string, unknown>): Record<string, unknown> {
  const cast = model.castObject(set) as Record<string, unknown>;
  for (const [path, value] of Object.entries(set)) if (value === null && model.schema.path(path)) cast[path] = null;
  return cast;
}

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
  // Through the driver (updateAndReturn): whether it landed is all this needs, so no query
  // or document is built; `set` is cast to the schema first, as mongoose's query would.
  // (No projection: FerretDB refuses one on findAndModify.)
  const applied = await updateAndReturn(model, { _id: id, version: version - 1 }, { $set: { ...castFields(model, set), version } });
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
