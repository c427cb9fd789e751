import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import type { Order } from '@/lib/types';
import { mockFetch } from '../../test/fetch-mock';
import { resetRouter } from '../../test/router-mock';
import { OrderPayment } from '../OrderPayment';

jest.mock('next/navigation', () => ({ useRouter: () => jest.requireActual('../../test/router-mock').router }));

// Stands in for Stripe's card element: "tokenizes" on click, or reports a card error.
jest.mock('../StripeCardForm', () => ({
  __esModule: true,
  default: ({ publishableKey, amountLabel, onToken, onError }: { publishableKey: string; amountLabel: string; onToken: (t: string) => void; onError: (m: string) => void }) => (
    <div data-testid="stripe-card" data-key={publishableKey}>
      <button onClick={() => onToken('tok_from_card')}>Pay {amountLabel}</button>
      <button onClick={() => onError('Your card number is incomplete.')}>Pay with a bad card</button>
    </div>
  ),
}));

const order: Order = {
  id: 'o1',
  userId: 'u1',
  status: 'created',
  expiresAt: new Date(Date.now() + 600_000).toISOString(),
  ticket: { id: 't1', title: 'Concert', price: 20.5 },
  version: 0,
};

beforeEach(resetRouter);

describe('OrderPayment with a Stripe publishable key', () => {
  it('when a key is set, then the card form replaces the test-card button and gets the key', async () => {
    render(<OrderPayment order={order} renderedAt={Date.now()} stripePublishableKey="pk_test_123" />);
    const card = await screen.findByTestId('stripe-card');
    expect(card.getAttribute('data-key')).toBe('pk_test_123');
    expect(screen.queryByRole('button', { name: 'Pay with test card' })).toBeNull();
  });

  it('when the card is tokenized, then the token is posted with the order id', async () => {
    const { sent } = mockFetch({ status: 201, body: { id: 'p1' } }, { status: 200, body: { ...order, status: 'complete' } });
    render(<OrderPayment order={order} renderedAt={Date.now()} stripePublishableKey="pk_test_123" />);
    fireEvent.click(await screen.findByRole('button', { name: 'Pay $20.50' }));
    await screen.findByText('Order complete');
    expect(sent[0]).toEqual({ url: '/api/payments', method: 'POST', body: { token: 'tok_from_card', orderId: 'o1' } });
  });

  it('when Stripe reports a card error, then it is shown as the alert and nothing is posted', async () => {
    const { fetchMock } = mockFetch({ status: 500 });
    render(<OrderPayment order={order} renderedAt={Date.now()} stripePublishableKey="pk_test_123" />);
    fireEvent.click(await screen.findByRole('button', { name: 'Pay with a bad card' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toBe('Your card number is incomplete.'));
    expect(fetchMock).not.toHaveBeenCalled();
  });
});
