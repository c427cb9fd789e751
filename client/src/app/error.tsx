'use client';

import { ErrorRetry } from '@/components/ErrorRetry';

// The error boundary of every page: an API that is down or answered 5xx.
export default function ErrorPage({ reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return <ErrorRetry reset={reset} />;
}
