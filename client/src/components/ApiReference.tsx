// The API reference (/docs): each service's OpenAPI document as a table of its routes,
// methods and documented statuses. Pure rendering: the page fetches the documents.

/** The parts of an OpenAPI 3.1 document the reference shows. */
export interface OpenApiDocument {
  info?: { title?: string; description?: string };
  paths?: Record<string, Record<string, OpenApiOperation | unknown>>;
  components?: { responses?: Record<string, { description?: string }> };
}
interface OpenApiOperation {
  summary?: string;
  security?: Record<string, unknown>[];
  parameters?: { name: string; in: string; description?: string }[];
  responses?: Record<string, { description?: string; $ref?: string }>;
}

export type ApiReferenceSection =
  | { area: string; url: string; ok: true; document: OpenApiDocument }
  | { area: string; url: string; ok: false; error: string };

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const METHOD_BADGE: Record<string, string> = {
  get: 'text-bg-primary',
  post: 'text-bg-success',
  put: 'text-bg-warning',
  patch: 'text-bg-warning',
  delete: 'text-bg-danger',
};

function statusBadge(status: string): string {
  if (status.startsWith('2')) return 'text-bg-success';
  if (status.startsWith('4')) return 'text-bg-warning';
  return 'text-bg-danger';
}

function describe(doc: OpenApiDocument, response: { description?: string; $ref?: string }): string {
  if (response.$ref) {
    const name = response.$ref.replace('#/components/responses/', '');
    return doc.components?.responses?.[name]?.description ?? name;
  }
  return response.description ?? '';
}

function operations(doc: OpenApiDocument) {
  return Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({ path, method, op: item[method] as OpenApiOperation })),
  );
}

export function ApiReference({ sections }: { sections: ApiReferenceSection[] }) {
  return (
    <>
      <nav className="mb-4" aria-label="Services">
        {sections.map((s) => (
          <a key={s.area} href={`#${s.area}`} className="me-3">
            {s.ok ? (s.document.info?.title ?? s.area) : s.area}
          </a>
        ))}
      </nav>
      {sections.map((s) => (
        <section key={s.area} id={s.area} className="mb-5" data-testid={`api-${s.area}`}>
          <h2 className="h4">{s.ok ? (s.document.info?.title ?? s.area) : s.area}</h2>
          <p className="small text-body-secondary">
            OpenAPI 3.1 document: <a href={s.url}>{s.url}</a>
          </p>
          {!s.ok ? (
            <div className="alert alert-warning" role="alert">
              Could not load this service&apos;s API description: {s.error}
            </div>
          ) : (
            <>
              {s.document.info?.description && <p>{s.document.info.description}</p>}
              <table className="table align-top">
                <thead>
                  <tr>
                    <th scope="col">Route</th>
                    <th scope="col">Statuses</th>
                  </tr>
                </thead>
                <tbody>
                  {operations(s.document).map(({ path, method, op }) => (
                    <tr key={`${method} ${path}`} data-operation={`${method.toUpperCase()} ${path}`}>
                      <td>
                        <span className={`badge ${METHOD_BADGE[method] ?? 'text-bg-secondary'} me-2`}>{method.toUpperCase()}</span>
                        <code>{path}</code>
                        {op.security?.some((r) => 'session' in r) && !op.security.some((r) => Object.keys(r).length === 0) && (
                          <span className="badge text-bg-light border ms-2">signed in</span>
                        )}
                        {op.summary && <div className="small text-body-secondary">{op.summary}</div>}
                        {op.parameters?.some((p) => p.in === 'query') && (
                          <div className="small">
                            Query: {op.parameters.filter((p) => p.in === 'query').map((p) => p.name).join(', ')}
                          </div>
                        )}
                      </td>
                      <td>
                        <ul className="list-unstyled mb-0 small">
                          {Object.entries(op.responses ?? {}).map(([status, response]) => (
                            <li key={status}>
                              <span className={`badge ${statusBadge(status)} me-2`}>{status}</span>
                              {describe(s.document, response)}
                            </li>
                          ))}
                        </ul>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
        </section>
      ))}
    </>
  );
}
