'use client';

import dynamic from 'next/dynamic';
import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import { apiRequest } from '@/lib/api-client';
import { ApiError } from '@/lib/errors';
import { formatPrice } from '@/lib/format';
import { failureText, orderState, refundText } from '@/lib/order-state';
import type { Order } from '@/lib/types';
import { useApiAction } from '@/lib/use-api-action';
import { Countdown, useNow } from './Countdown';
import { ErrorAlert } from './ErrorAlert';

// Stripe's code is only loaded when a publishable key is configured.
const StripeCardForm = dynamic(() => import('./StripeCardForm'), { ssr: false });

/** Stripe's test token: what "Pay with test card" sends when no publishable key is set. */
export const TEST_CARD_TOKEN = 'tok_visa';

const CONFIRM_POLL_MS = 500;
const CONFIRM_TIMEOUT_MS = 15_000;
const PENDING_POLL_MS = 2_000;
const MAX_POLL_MS = 10_000;
/** How long a "being processed" answer keeps the pay button away when the order never shows the payment. */
const PROCESSING_GIVE_UP_MS = 60_000;
const REDIRECT_DELAY_MS = 1_500;

export const PROCESSING_MESSAGE = "Payment is being processed, we'll update this page";

/**
 * What this page waits for after the user pressed pay:
 * - confirming: the charge succeeded (201); the orders service has yet to apply payment:created;
 * - unconfirmed: it did not within CONFIRM_TIMEOUT_MS (the payment was received all the same);
 * - processing: the payments service has a payment for the order under way (503: Stripe did
 *   not answer, the reconciler settles it; 409: another attempt), so the order will tell how
 *   it ends. `startedFailed`: the order showed an earlier failure then, which is not this one's.
 */
type Waiting =
  | { kind: 'none' }
  | { kind: 'confirming' }
  | { kind: 'unconfirmed' }
  | { kind: 'processing'; message: string; pollMs: number; startedFailed: boolean; gaveUp: boolean };

/**
 * The order's hold and its payment, kept current: the page is rendered from the order
 * JSON (its `payment` and `refund` included), then polls the order while a payment is
 * under way. Every answer of POST /api/payments is shown in words, never as a crash.
 */
export function OrderPayment({ order: renderedOrder, renderedAt, stripePublishableKey }: { order: Order; renderedAt: number; stripePublishableKey?: string }) {
  const router = useRouter();
  const now = useNow(renderedAt);
  const [order, setOrder] = useState(renderedOrder);
  const [waiting, setWaiting] = useState<Waiting>({ kind: 'none' });
  // The user paid on this page: once the order is complete, take them to My orders.
  const [paidHere, setPaidHere] = useState(false);
  // A 402: shown as the failed payment (the order shows it too once payment:failed is applied).
  const [declined, setDeclined] = useState<string | null>(null);
  const { run, pending, general, setErrors } = useApiAction();

  const state = orderState(order);
  const settled = state === 'paid' || state === 'refunded' || state === 'cancelled';
  const confirming = waiting.kind === 'confirming' && !settled;
  const unconfirmed = waiting.kind === 'unconfirmed' && !settled;
  const processing =
    waiting.kind === 'processing' && !waiting.gaveUp && !settled && state !== 'pending' && !(state === 'failed' && !waiting.startedFailed);
  const pollMs = confirming ? CONFIRM_POLL_MS : processing ? waiting.pollMs : state === 'pending' ? PENDING_POLL_MS : null;
  const orderId = order.id;

  useEffect(() => {
    if (pollMs === null) return;
    const interval = pollMs;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    async function poll() {
      try {
        const fresh = await apiRequest<Order>('GET', `/api/orders/${encodeURIComponent(orderId)}`);
        if (!stopped && fresh && typeof fresh === 'object') setOrder(fresh);
      } catch {
        // A transient failure: the next poll tries again.
      }
      if (!stopped) timer = setTimeout(poll, interval);
    }
    // Right after paying, ask at once; an order rendered pending was just read by the server.
    if (confirming || processing) poll();
    else timer = setTimeout(poll, interval);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
    // Restarted only when the pace changes, not on every fresh order (confirming and
    // processing are read once, to decide whether to ask at once).
  }, [pollMs, orderId]);

  useEffect(() => {
    if (waiting.kind !== 'confirming') return;
    const timer = setTimeout(() => setWaiting({ kind: 'unconfirmed' }), CONFIRM_TIMEOUT_MS);
    return () => clearTimeout(timer);
  }, [waiting.kind]);

  useEffect(() => {
    if (waiting.kind !== 'processing') return;
    const timer = setTimeout(() => setWaiting((w) => (w.kind === 'processing' ? { ...w, gaveUp: true } : w)), PROCESSING_GIVE_UP_MS);
    return () => clearTimeout(timer);
  }, [waiting.kind]);

  useEffect(() => {
    if (!paidHere || (state !== 'paid' && !unconfirmed)) return;
    const timer = setTimeout(() => router.push('/orders'), REDIRECT_DELAY_MS);
    return () => clearTimeout(timer);
  }, [paidHere, state, unconfirmed, router]);

  async function refreshOrder() {
    try {
      const fresh = await apiRequest<Order>('GET', `/api/orders/${encodeURIComponent(orderId)}`);
      if (fresh && typeof fresh === 'object') setOrder(fresh);
    } catch {
      // The page keeps what it knew; the message already on screen says what happened.
    }
  }

  async function pay(token: string) {
    setDeclined(null);
    setWaiting({ kind: 'none' });
    const result = await run(() => apiRequest<{ id: string }>('POST', '/api/payments', { token, orderId }));
    if (result.ok) {
      setPaidHere(true);
      setWaiting({ kind: 'confirming' });
      return;
    }
    const error = result.error;
    if (!(error instanceof ApiError)) return;
    if (error.status === 402) {
      // Declined: no charge happened and a new attempt is allowed while the hold lasts.
      setErrors([]);
      setDeclined(error.message);
    } else if (error.status === 409 || (error.status === 503 && error.retryAfterSeconds !== undefined)) {
      // A payment for this order is under way: the order will show how it ends.
      setErrors([]);
      setPaidHere(true);
      const pollMs = Math.min(MAX_POLL_MS, Math.max(PENDING_POLL_MS, (error.retryAfterSeconds ?? 0) * 1000));
      const message = error.status === 409 ? error.message : PROCESSING_MESSAGE;
      setWaiting({ kind: 'processing', message, pollMs, startedFailed: state === 'failed', gaveUp: false });
    } else if (error.status === 400) {
      // Cancelled, already paid, or paid and refunded meanwhile: show the order as it is now.
      await refreshOrder();
    }
  }

  const alert = <ErrorAlert messages={general} />;

  if (state === 'paid') {
    return (
      <div>
        {alert}
        <div className="alert alert-success" role="status">
          <strong>Order complete</strong>
          {paidHere && <span> — payment received. Taking you to My orders…</span>}
        </div>
      </div>
    );
  }
  if (state === 'refunded') {
    return (
      <div>
        {alert}
        <div className="alert alert-info" role="status">
          <strong>Order cancelled</strong> — {refundText(order)}
        </div>
      </div>
    );
  }
  if (unconfirmed) {
    return (
      <div className="alert alert-info" role="status">
        Payment received. The order will show as complete shortly. Taking you to My orders…
      </div>
    );
  }
  if (confirming) {
    return (
      <div className="alert alert-info" role="status">
        Payment received. Completing your order…
      </div>
    );
  }
  if (processing || state === 'pending') {
    // The hold is extended while a payment is pending, so no countdown here.
    return (
      <div className="alert alert-info" role="status">
        {processing && waiting.kind === 'processing' ? waiting.message : "Payment in progress… We'll update this page when it completes."}
      </div>
    );
  }

  const expired = Date.parse(order.expiresAt) <= now;
  const failure = declined ?? (state === 'failed' && !pending ? failureText(order.payment?.reason) : null);
  const failureAlert = failure && (
    <div className="alert alert-danger" role="alert" data-testid="payment-failed">
      {declined ? failureText(declined) : failure}
      {!expired && <span> You can try again while the order is held.</span>}
    </div>
  );
  if (state === 'cancelled' && !expired) {
    return (
      <div>
        {alert}
        <div className="alert alert-warning" role="status">
          Order cancelled
        </div>
      </div>
    );
  }
  if (state === 'cancelled' || expired) {
    return (
      <div>
        {alert}
        {failureAlert}
        <Countdown expiresAt={order.expiresAt} now={now} />
      </div>
    );
  }

  return (
    <div>
      <Countdown expiresAt={order.expiresAt} now={now} />
      {alert}
      {failureAlert}
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
