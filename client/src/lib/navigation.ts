/**
 * Where to go after signing in: only a path on this site ("/orders", not
 * "//evil.example" or "https://..."), so the link cannot send a user elsewhere.
 */
export function safeNextPath(next: string | string[] | undefined, fallback = '/'): string {
  if (typeof next !== 'string') return fallback;
  return /^\/(?![/\\])/.test(next) ? next : fallback;
}
