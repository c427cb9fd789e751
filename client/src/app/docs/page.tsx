import type { Metadata } from 'next';
import { ApiReference, ApiReferenceSection, OpenApiDocument } from '@/components/ApiReference';
import { apiGet } from '@/lib/api-server';

export const metadata: Metadata = { title: 'API reference' };

/**
 * The four services' OpenAPI documents, fetched at request time through API_INTERNAL_URL
 * like every other server-side call: the page shows what the running services serve (the
 * client image is built without the services' sources), and one service being down leaves
 * its section with a notice instead of failing the page.
 */
const DOCUMENTS = [
  { area: 'users', url: '/api/users/openapi.json' },
  { area: 'tickets', url: '/api/tickets/openapi.json' },
  { area: 'orders', url: '/api/orders/openapi.json' },
  { area: 'payments', url: '/api/payments/openapi.json' },
];

export default async function DocsPage() {
  const sections: ApiReferenceSection[] = await Promise.all(
    DOCUMENTS.map(async ({ area, url }): Promise<ApiReferenceSection> => {
      let result;
      try {
        result = await apiGet<OpenApiDocument>(url);
      } catch (err) {
        return { area, url, ok: false, error: err instanceof Error ? err.message : String(err) };
      }
      return result.ok
        ? { area, url, ok: true, document: result.data }
        : { area, url, ok: false, error: result.errors.map((e) => e.message).join('; ') || `HTTP ${result.status}` };
    }),
  );
  return (
    <>
      <h1 className="h3 mb-3">API reference</h1>
      <ApiReference sections={sections} />
    </>
  );
}
