// Readiness: the server renders. Pages degrade to an error message while a backend
// service is down, so the API's state does not make the client unready.
export const dynamic = 'force-dynamic';

export function GET() {
  return Response.json({ status: 'ready' });
}
