// The ingress sends every path that no API owns to the web app, /api/… included (a typo,
// /api/TICKETS, /api//tickets). An API client must get the API's 404 in the error shape,
// never an HTML page and never a 5xx.
export const dynamic = 'force-dynamic';

function notFound() {
  return Response.json({ errors: [{ message: 'Not Found' }] }, { status: 404 });
}

export const GET = notFound;
export const HEAD = notFound;
export const POST = notFound;
export const PUT = notFound;
export const PATCH = notFound;
export const DELETE = notFound;
export const OPTIONS = notFound;
