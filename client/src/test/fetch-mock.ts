// A fetch double for component tests: answers queued per call, records what was sent.

export interface SentRequest {
  url: string;
  method: string;
  body: unknown;
}

type Answer = { status: number; body?: unknown; headers?: Record<string, string> } | Error;

export function mockFetch(...answers: Answer[]) {
  const sent: SentRequest[] = [];
  const queue = [...answers];
  const fetchMock = jest.fn(async (url: string, init: RequestInit = {}) => {
    sent.push({ url, method: init.method ?? 'GET', body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined });
    const answer = queue.length > 1 ? queue.shift()! : queue[0];
    if (!answer) throw new Error(`unexpected request ${url}`);
    if (answer instanceof Error) throw answer;
    const text = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    const headers = Object.fromEntries(Object.entries(answer.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    return {
      ok: answer.status >= 200 && answer.status < 300,
      status: answer.status,
      headers: { get: (name: string) => headers[name.toLowerCase()] ?? null },
      text: async () => text,
    } as unknown as Response;
  });
  globalThis.fetch = fetchMock as unknown as typeof fetch;
  return { sent, fetchMock };
}
