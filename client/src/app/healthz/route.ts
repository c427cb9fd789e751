// Liveness of the Next.js server itself: it answers, nothing more. Deliberately not
// dependent on the API, so a backend outage never restarts every client pod.
export const dynamic = 'force-dynamic';

export function GET() {
  return Response.json({ status: 'ok' });
}
