'use client';

import 'bootstrap/dist/css/bootstrap.min.css';

// Replaces the root layout when the layout itself fails (e.g. the API is unreachable).
export default function GlobalError({ reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <html lang="en">
      <body className="container py-4">
        <h1 className="h3">Ticketing</h1>
        <div className="alert alert-danger" role="alert">
          <p className="mb-2">Something went wrong. Please try again.</p>
          <button type="button" className="btn btn-outline-danger btn-sm" onClick={reset}>
            Try again
          </button>
        </div>
      </body>
    </html>
  );
}
