import Link from 'next/link';

/**
 * Paging through a newest-first list: "Older …" when the API gave a next cursor
 * (X-Next-Cursor, absent on the last page), and back to the newest once paged.
 */
export function Pager({ path, before, nextCursor, noun }: { path: string; before?: string; nextCursor?: string; noun: string }) {
  if (!before && !nextCursor) return null;
  return (
    <nav aria-label={`More ${noun}`} className="d-flex gap-3 justify-content-between">
      {before ? <Link href={path}>Newest {noun}</Link> : <span />}
      {nextCursor && (
        <Link href={`${path}?before=${encodeURIComponent(nextCursor)}`} rel="next">
          Older {noun}
        </Link>
      )}
    </nav>
  );
}

/** The `before` cursor of a page's search params (the first one when repeated). */
export function beforeParam(value: string | string[] | undefined): string | undefined {
  const before = Array.isArray(value) ? value[0] : value;
  return before ? before : undefined;
}
