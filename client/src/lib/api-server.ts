// Server-side calls to the API (server components): to API_INTERNAL_URL (the gateway in
// the local stack, the ingress controller's service in the cluster), forwarding the
// incoming request's cookie so the services see the same user as the browser.
import { headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { cache } from 'react';
import { errorsFromBody } from './errors';
import type { ApiErrorItem, CurrentUser } from './types';

const TIMEOUT_MS = 10_000;

export type ApiResult<T> =
  | { ok: true; status: number; data: T; /** X-Next-Cursor: the `before` of the next (older) page; absent on the last page. */ nextCursor?: string }
  | { ok: false; status: number; errors: ApiErrorItem[] };

function apiBaseUrl(): string {
  const url = process.env.API_INTERNAL_URL;
  if (!url) {
    throw new Error('API_INTERNAL_URL is not set: the URL the server uses to reach the API, e.g. http://127.0.0.1:8080');
  }
  return url.replace(/\/+$/, '');
}

/**
 * fetch's error when the connection closed before an answer came: the typical case is a
 * kept-alive connection the other side closed as idle while this process was too busy to
 * notice, and the next request went out on it. Measured: a Node client whose event loop
 * stalled 6 s against a server's 5 s keep-alive lost 2 of 5 such requests ("other side
 * closed", ECONNRESET); the web app's server is that busy on a loaded machine.
 */
export function isClosedConnection(err: unknown): boolean {
  // fetch throws TypeError('fetch failed') with the socket's error as its cause; by name, not
  // instanceof: fetch's TypeError comes from Node's own realm.
  const failed = (err as { name?: unknown } | null)?.name === 'TypeError';
  const code = failed ? ((err as { cause?: { code?: unknown } }).cause?.code ?? undefined) : undefined;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE';
}

/**
 * GET an API path as the signed-in user. 4xx answers come back as results (a page
 * decides what a 404 or 401 means for it); 5xx and network failures throw, so the error
 * boundary shows them (a connection closed under the request is tried once more first).
 */
export async function apiGet<T>(path: string): Promise<ApiResult<T>> {
  const cookie = (await headers()).get('cookie');
  const url = `${apiBaseUrl()}${path}`;
  const send = () =>
    fetch(url, {
      headers: cookie ? { cookie, accept: 'application/json' } : { accept: 'application/json' },
      cache: 'no-store',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  let response: Response;
  try {
    response = await send();
  } catch (err) {
    // A GET is safe to repeat, and a connection closed under it got no answer: once more,
    // on a new connection. Timeouts and refused connections are not repeated.
    if (!isClosedConnection(err)) throw err;
    response = await send();
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (response.ok) {
    const nextCursor = response.headers.get('x-next-cursor') || undefined;
    return { ok: true, status: response.status, data: body as T, ...(nextCursor ? { nextCursor } : {}) };
  }
  if (response.status >= 500) throw new Error(`GET ${path} answered ${response.status}`);
  return { ok: false, status: response.status, errors: errorsFromBody(body) ?? [] };
}

/** The user of this request, fetched once per render however many components ask. */
export const getCurrentUser = cache(async (): Promise<CurrentUser | null> => {
  const result = await apiGet<{ currentUser: CurrentUser | null }>('/api/users/currentuser');
  if (!result.ok || !result.data?.currentUser) return null;
  const { id, email } = result.data.currentUser;
  return { id, email };
});

/** The signed-in user, or a redirect to sign in that comes back to `returnTo`. */
export async function requireUser(returnTo: string): Promise<CurrentUser> {
  const user = await getCurrentUser();
  if (!user) redirect(`/auth/signin?next=${encodeURIComponent(returnTo)}`);
  return user;
}
