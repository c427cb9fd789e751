/** A write refused by a unique index (E11000): the compare-and-set lost, or a key is taken. */
export function isDuplicateKeyError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
}
