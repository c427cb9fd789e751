'use client';

// The error boundary of every page: an API that is down or answered 5xx.
export default function ErrorPage({ reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div className="alert alert-danger" role="alert">
      <p className="mb-2">Something went wrong. Please try again.</p>
      <button type="button" className="btn btn-outline-danger btn-sm" onClick={reset}>
        Try again
      </button>
    </div>
  );
}
