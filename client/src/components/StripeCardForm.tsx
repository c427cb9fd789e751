'use client';

import { CardElement, Elements, useElements, useStripe } from '@stripe/react-stripe-js';
// The pure entry does not inject Stripe's script on import, only when loadStripe runs:
// pages without a key (the local stack) never contact Stripe.
import type { Stripe } from '@stripe/stripe-js';
import { loadStripe } from '@stripe/stripe-js/pure';
import { useState, type FormEvent } from 'react';

const stripes = new Map<string, Promise<Stripe | null>>();
function stripeFor(publishableKey: string) {
  let stripe = stripes.get(publishableKey);
  if (!stripe) {
    stripe = loadStripe(publishableKey);
    stripes.set(publishableKey, stripe);
  }
  return stripe;
}

type Props = {
  publishableKey: string;
  amountLabel: string;
  pending: boolean;
  onToken: (token: string) => void;
  onError: (message: string) => void;
};

/** A Stripe card element that turns the card into a token for POST /api/payments. */
export default function StripeCardForm({ publishableKey, ...props }: Props) {
  return (
    <Elements stripe={stripeFor(publishableKey)}>
      <CardForm {...props} />
    </Elements>
  );
}

function CardForm({ amountLabel, pending, onToken, onError }: Omit<Props, 'publishableKey'>) {
  const stripe = useStripe();
  const elements = useElements();
  const [tokenizing, setTokenizing] = useState(false);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    const card = elements?.getElement(CardElement);
    if (!stripe || !card) return;
    setTokenizing(true);
    const { token, error } = await stripe.createToken(card);
    setTokenizing(false);
    if (error || !token) onError(error?.message ?? 'The card could not be read');
    else onToken(token.id);
  }

  return (
    <form onSubmit={onSubmit} className="col-md-6">
      <div className="form-control mb-3 py-2">
        <CardElement options={{ hidePostalCode: true }} />
      </div>
      <button type="submit" className="btn btn-primary" disabled={!stripe || pending || tokenizing}>
        Pay {amountLabel}
      </button>
    </form>
  );
}
