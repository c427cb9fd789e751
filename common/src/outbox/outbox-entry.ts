/**
 * An event waiting in a document's `outbox` array. The envelope is kept as one string so
 * the relay can remove exactly this element with `$pull` of the whole element: FerretDB
 * ignores `$pull` conditions, and an exact string compares equal everywhere.
 */
export interface OutboxEntry {
  id: string;
  subject: string;
  payload: string;
}
