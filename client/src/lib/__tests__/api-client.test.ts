import { apiRequest } from '../api-client';
import { ApiError } from '../errors';
import { mockFetch } from '../../test/fetch-mock';

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe('apiRequest', () => {
  it('when the API answers 2xx, then returns the parsed body and sends JSON with the cookie', async () => {
    const { sent, fetchMock } = mockFetch({ status: 201, body: { id: 't1' } });
    await expect(apiRequest('POST', '/api/tickets', { title: 'A', price: 1 })).resolves.toEqual({ id: 't1' });
    expect(sent).toEqual([{ url: '/api/tickets', method: 'POST', body: { title: 'A', price: 1 } }]);
    expect(fetchMock.mock.calls[0][1]).toMatchObject({ credentials: 'same-origin', headers: { 'content-type': 'application/json' } });
  });

  it('when the API answers 204 with no body, then resolves to undefined', async () => {
    mockFetch({ status: 204 });
    await expect(apiRequest('DELETE', '/api/orders/o1')).resolves.toBeUndefined();
  });

  it('when the API answers its error shape, then rejects with its status and entries', async () => {
    mockFetch({ status: 400, body: { errors: [{ message: 'Invalid credentials' }] } });
    const error = await failure(apiRequest('POST', '/api/users/signin', {}));
    expect(error.status).toBe(400);
    expect(error.errors).toEqual([{ message: 'Invalid credentials' }]);
  });

  it('when a proxy answers an HTML error page, then rejects with a generic message naming the status', async () => {
    mockFetch({ status: 502, body: '<html>Bad Gateway</html>' });
    const error = await failure(apiRequest('GET', '/api/tickets'));
    expect(error.errors).toEqual([{ message: 'Something went wrong (HTTP 502)' }]);
  });

  it('when the network fails, then rejects with a message saying the server could not be reached', async () => {
    mockFetch(new TypeError('Failed to fetch'));
    const error = await failure(apiRequest('GET', '/api/tickets'));
    expect(error.status).toBe(0);
    expect(error.errors[0].message).toMatch(/Could not reach the server/);
  });

  it('when a state-changing call has nothing to send, then it still sends a JSON `{}` with the JSON content type (the APIs answer 415 otherwise)', async () => {
    const { sent, fetchMock } = mockFetch({ status: 200, body: {} }, { status: 204 });
    await apiRequest('POST', '/api/users/signout');
    await apiRequest('DELETE', '/api/orders/o1');
    expect(sent).toEqual([
      { url: '/api/users/signout', method: 'POST', body: {} },
      { url: '/api/orders/o1', method: 'DELETE', body: {} },
    ]);
    for (const [, init] of fetchMock.mock.calls) {
      expect(init).toMatchObject({ credentials: 'same-origin', headers: { 'content-type': 'application/json' } });
    }
  });

  it('when reading, then no body and no content type are sent, to a path on this origin', async () => {
    const { fetchMock } = mockFetch({ status: 200, body: [] });
    await apiRequest('GET', '/api/tickets');
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe('/api/tickets');
    expect(init?.body).toBeUndefined();
    expect(init?.headers).toEqual({ accept: 'application/json' });
  });

  it('when the API answers 503 with Retry-After, then the error carries the seconds to wait', async () => {
    mockFetch({ status: 503, body: { errors: [{ message: 'Service unavailable' }] }, headers: { 'Retry-After': '7' } });
    const error = await failure(apiRequest('POST', '/api/payments', { token: 't', orderId: 'o1' }));
    expect(error.status).toBe(503);
    expect(error.retryAfterSeconds).toBe(7);
  });
});
