/** MongoDB's (and FerretDB's) answer to an insert that a unique index refused. */
export function isDuplicateKeyError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
}
