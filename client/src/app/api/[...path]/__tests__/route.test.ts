/**
 * @jest-environment node
 */
import { DELETE, GET, POST } from '../route';

describe('an /api path that no API serves', () => {
  it.each([
    ['GET', GET],
    ['POST', POST],
    ['DELETE', DELETE],
  ])('when %s reaches the web app, then it answers 404 in the API error shape, not a page', async (_m, handler) => {
    const res = handler();
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(await res.json()).toEqual({ errors: [{ message: 'Not Found' }] });
  });
});
