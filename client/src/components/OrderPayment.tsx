'use client';

import dynamic from 'next/dynamic';
import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import { apiRequest } from '@/lib/api-client';
import { formatPrice } from '@/lib/format';
import type { Order } from '@/lib/types';
import { useApiAction } from '@/lib/use-api-action';
import { Countdown, useNow } from './Countdown';
import { ErrorAlert } from './ErrorAlert';

// Stripe's code is only loaded when a publishable key is configured.
const StripeCardForm = dynamic(() => import('./StripeCardForm'), { ssr: false });

/** Stripe's test token: what "Pay with test card" sends when no publishable key is set. */
export const TEST_CARD_TOKEN = 'tok_visa';

const POLL_INTERVAL_MS = 500;
const POLL_TIMEOUT_MS = 15_000;
const REDIRECT_DELAY_MS = 1_500;

// `unconfirmed`: paid, but the orders service did not show it complete within the poll.
type Phase = 'unpaid' | 'completing' | 'complete' | 'unconfirmed';

/**
 * The order's hold and its payment. The payments service answers 201 as soon as the
 * charge succeeds; the order becomes `complete` when the orders service has applied
 * payment:created, so after paying we poll the order briefly before saying "complete".
 */
export function OrderPayment({ order, renderedAt, stripePublishableKey }: { order: Order; renderedAt: number; stripePublishableKey?: string }) {
  const router = useRouter();
  const now = useNow(renderedAt);
  const [phase, setPhase] = useState<Phase>(order.status === 'complete' ? 'complete' : 'unpaid');
  const [justPaid, setJustPaid] = useState(false);
  const { run, pending, general, setErrors } = useApiAction();

  useEffect(() => {
    if (!justPaid || (phase !== 'complete' && phase !== 'unconfirmed')) return;
    const timer = setTimeout(() => router.push('/orders'), REDIRECT_DELAY_MS);
    return () => clearTimeout(timer);
  }, [justPaid, phase, router]);

  async function pay(token: string) {
    const result = await run(() => apiRequest<{ id: string }>('POST', '/api/payments', { token, orderId: order.id }));
    if (!result.ok) return;
    setJustPaid(true);
    setPhase('completing');
    setPhase((await waitUntilComplete(order.id)) ? 'complete' : 'unconfirmed');
  }

  if (phase === 'complete') {
    return (
      <div className="alert alert-success" role="status">
        <strong>Order complete</strong>
        {justPaid && <span> — payment received. Taking you to My orders…</span>}
      </div>
    );
  }
  if (phase === 'unconfirmed') {
    return (
      <div className="alert alert-info" role="status">
        Payment received. The order will show as complete shortly. Taking you to My orders…
      </div>
    );
  }
  if (phase === 'completing') {
    return (
      <div className="alert alert-info" role="status">
        Payment received. Completing your order…
      </div>
    );
  }
  const expired = Date.parse(order.expiresAt) <= now;
  if (order.status === 'cancelled' && !expired) {
    return (
      <div className="alert alert-warning" role="status">
        Order cancelled
      </div>
    );
  }
  if (order.status === 'cancelled' || expired) return <Countdown expiresAt={order.expiresAt} now={now} />;

  return (
    <div>
      <Countdown expiresAt={order.expiresAt} now={now} />
      <ErrorAlert messages={general} />
      {stripePublishableKey ? (
        <StripeCardForm
          publishableKey={stripePublishableKey}
          amountLabel={formatPrice(order.ticket.price)}
          pending={pending}
          onToken={pay}
          onError={(message) => setErrors([{ message }])}
        />
      ) : (
        <div>
          <button type="button" className="btn btn-primary" onClick={() => pay(TEST_CARD_TOKEN)} disabled={pending}>
            Pay with test card
          </button>
          <p className="form-text">No Stripe key is configured: this pays {formatPrice(order.ticket.price)} with Stripe&apos;s test card.</p>
        </div>
      )}
    </div>
  );
}

/** Polls the order until the orders service marks it complete (or gives up quietly). */
async function waitUntilComplete(orderId: string): Promise<boolean> {
  const deadline = Date.now() + POLL_TIMEOUT_MS;
  while (Date.now() < deadline) {
    try {
      const order = await apiRequest<Order>('GET', `/api/orders/${encodeURIComponent(orderId)}`);
      if (order.status === 'complete') return true;
    } catch {
      // A transient failure: keep polling until the deadline.
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  return false;
}
