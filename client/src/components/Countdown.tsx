'use client';

import { useEffect, useState } from 'react';
import { formatRemaining } from '@/lib/format';

/**
 * The current time, ticking every `intervalMs`. The first render uses `initialNow`, the
 * time the server rendered the page, so the hydrated markup equals the server's; the
 * browser clock takes over right after.
 */
export function useNow(initialNow: number, intervalMs = 1000): number {
  const [now, setNow] = useState(initialNow);
  useEffect(() => {
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/** "You have 9 m 58 s left to pay" while the hold lasts, then "Order expired". */
export function Countdown({ expiresAt, now }: { expiresAt: string; now: number }) {
  const msLeft = Date.parse(expiresAt) - now;
  if (!(msLeft > 0)) {
    return (
      <div className="alert alert-warning" role="status">
        Order expired
      </div>
    );
  }
  return (
    <p className="lead" role="timer" aria-live="off">
      You have {formatRemaining(msLeft)} left to pay
    </p>
  );
}
