import { render, screen, within } from '@testing-library/react';
import { ApiReference, OpenApiDocument } from '../ApiReference';
import DocsPage from '@/app/docs/page';
import { apiGet } from '@/lib/api-server';

jest.mock('@/lib/api-server', () => ({ apiGet: jest.fn() }));
const mockedApiGet = apiGet as jest.MockedFunction<typeof apiGet>;

const ticketsDoc: OpenApiDocument = {
  info: { title: 'Ticketing tickets', description: 'Tickets for sale.' },
  paths: {
    '/api/tickets': {
      get: {
        summary: 'The tickets not reserved',
        security: [],
        parameters: [{ name: 'limit', in: 'query' }, { name: 'before', in: 'query' }],
        responses: { '200': { description: 'One page' }, '400': { description: 'Bad limit' } },
      },
      post: {
        summary: 'List a ticket for sale',
        security: [{ session: [] }],
        responses: { '201': { description: 'Created' }, '401': { $ref: '#/components/responses/NotAuthorized' } },
      },
    },
  },
  components: { responses: { NotAuthorized: { description: 'Not authorized' } } },
};

const row = (operation: string) => document.querySelector(`[data-operation="${operation}"]`) as HTMLElement;

describe('ApiReference', () => {
  it('when given a document, then each route shows its method, path, statuses and descriptions (refs resolved)', () => {
    render(<ApiReference sections={[{ area: 'tickets', url: '/api/tickets/openapi.json', ok: true, document: ticketsDoc }]} />);
    expect(screen.getByRole('heading', { name: 'Ticketing tickets' })).toBeTruthy();
    expect(screen.getByRole('link', { name: '/api/tickets/openapi.json' }).getAttribute('href')).toBe('/api/tickets/openapi.json');
    const list = row('GET /api/tickets');
    expect(list.textContent).toContain('Query: limit, before');
    expect(within(list).getByText('200').parentElement?.textContent).toBe('200One page');
    expect(within(list).queryByText('signed in')).toBeNull();
    const create = row('POST /api/tickets');
    expect(within(create).getByText('signed in')).toBeTruthy();
    expect(within(create).getByText('401').parentElement?.textContent).toBe('401Not authorized');
    expect(document.querySelectorAll('[data-operation]')).toHaveLength(2);
  });

  it('when a document could not be loaded, then its section says so and the others still render', () => {
    render(
      <ApiReference
        sections={[
          { area: 'orders', url: '/api/orders/openapi.json', ok: false, error: 'GET /api/orders/openapi.json answered 503' },
          { area: 'tickets', url: '/api/tickets/openapi.json', ok: true, document: ticketsDoc },
        ]}
      />,
    );
    expect(within(screen.getByTestId('api-orders')).getByRole('alert').textContent).toContain('answered 503');
    expect(row('POST /api/tickets')).toBeTruthy();
  });
});

describe('the /docs page', () => {
  it('when rendered, then it fetches the four services\' documents through the API and shows each', async () => {
    mockedApiGet.mockImplementation(async (path: string) => {
      if (path === '/api/payments/openapi.json') throw new Error('GET /api/payments/openapi.json answered 503');
      const area = path.split('/')[2];
      return { ok: true, status: 200, data: { info: { title: `Ticketing ${area}` }, paths: { [`/api/${area}`]: { get: { responses: { '200': { description: 'ok' } } } } } } };
    });
    render(await DocsPage());
    expect(mockedApiGet.mock.calls.map((c) => c[0])).toEqual([
      '/api/users/openapi.json',
      '/api/tickets/openapi.json',
      '/api/orders/openapi.json',
      '/api/payments/openapi.json',
    ]);
    expect(screen.getByRole('heading', { level: 1, name: 'API reference' })).toBeTruthy();
    for (const area of ['users', 'tickets', 'orders']) expect(row(`GET /api/${area}`)).toBeTruthy();
    expect(within(screen.getByTestId('api-payments')).getByRole('alert').textContent).toContain('answered 503');
  });
});
