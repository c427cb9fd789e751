// Browser-side calls to the API: same origin (the gateway/ingress routes /api/* to the
// services), so the session cookie travels and is set by the API's own responses.
import { ApiError, errorsFromBody, parseRetryAfter } from './errors';

export async function apiRequest<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown): Promise<T> {
  // The APIs refuse a state-changing request that is not JSON (415, part of their CSRF
  // defence), so every non-GET call sends a JSON body, `{}` when it has nothing to say.
  // The browser adds Origin and Sec-Fetch-Site itself: same origin, as the APIs require.
  const payload = method === 'GET' ? undefined : JSON.stringify(body ?? {});
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      credentials: 'same-origin',
      headers: payload === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: payload,
    });
  } catch {
    throw new ApiError(0, [{ message: 'Could not reach the server. Check your connection and try again.' }]);
  }
  const text = await response.text();
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      // A proxy's HTML error page, for instance: handled below by the status.
    }
  }
  if (!response.ok) {
    throw new ApiError(
      response.status,
      errorsFromBody(parsed) ?? [{ message: `Something went wrong (HTTP ${response.status})` }],
      parseRetryAfter(response.headers?.get('retry-after')),
    );
  }
  return parsed as T;
}
