/** What the error boundaries show: a generic message (never the error's details) and a retry. */
export function ErrorRetry({ reset }: { reset: () => void }) {
  return (
    <div className="alert alert-danger" role="alert">
      <p className="mb-2">Something went wrong. Please try again.</p>
      <button type="button" className="btn btn-outline-danger btn-sm" onClick={reset}>
        Try again
      </button>
    </div>
  );
}
