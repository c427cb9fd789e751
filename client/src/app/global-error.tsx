'use client';

import 'bootstrap/dist/css/bootstrap.min.css';
import { ErrorRetry } from '@/components/ErrorRetry';

// Replaces the root layout when the layout itself fails (e.g. the API is unreachable).
export default function GlobalError({ reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <html lang="en">
      <body className="container py-4">
        <h1 className="h3">Ticketing</h1>
        <ErrorRetry reset={reset} />
      </body>
    </html>
  );
}
