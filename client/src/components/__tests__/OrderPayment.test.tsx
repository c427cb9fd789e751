import { act, fireEvent, render, screen } from '@testing-library/react';
import type { Order } from '@/lib/types';
import { mockFetch } from '../../test/fetch-mock';
import { resetRouter, router } from '../../test/router-mock';
import { Countdown } from '../Countdown';
import { OrderPayment, PROCESSING_MESSAGE } from '../OrderPayment';

jest.mock('next/navigation', () => ({ useRouter: () => jest.requireActual('../../test/router-mock').router }));

const NOW = Date.parse('2030-01-01T12:00:00Z');

function orderExpiringIn(ms: number, status: Order['status'] = 'created', fields: Partial<Order> = {}): Order {
  return {
    id: 'o1',
    userId: 'u1',
    status,
    expiresAt: new Date(NOW + ms).toISOString(),
    ticket: { id: 't1', title: 'Concert', price: 20.5 },
    version: 0,
    ...fields,
  };
}
const PENDING = { payment: { status: 'pending' as const } };
const DECLINED = { payment: { status: 'failed' as const, reason: 'Your card was declined.' } };
const REFUNDED = { payment: { status: 'refunded' as const }, refund: { id: 're_1', amount: 2050 } };

const timerText = () => screen.queryByRole('timer')?.textContent;
const payButton = () => screen.queryByRole('button', { name: 'Pay with test card' });
const advance = (ms: number) => act(() => jest.advanceTimersByTimeAsync(ms));

beforeEach(() => {
  jest.useFakeTimers({ now: NOW });
  resetRouter();
});
afterEach(() => jest.useRealTimers());

describe('Countdown', () => {
  it('when time is left, then says how much', () => {
    render(<Countdown expiresAt={new Date(NOW + 598_000).toISOString()} now={NOW} />);
    expect(timerText()).toBe('You have 9 m 58 s left to pay');
  });

  it('when the hold is over, then says "Order expired"', () => {
    render(<Countdown expiresAt={new Date(NOW).toISOString()} now={NOW} />);
    expect(screen.getByRole('status').textContent).toBe('Order expired');
  });

  it('when expiresAt is not a date, then treats the hold as over rather than showing NaN', () => {
    render(<Countdown expiresAt="soon" now={NOW} />);
    expect(screen.getByRole('status').textContent).toBe('Order expired');
  });
});

describe('OrderPayment', () => {
  it('when rendered, then the countdown matches the server render and then ticks every second', async () => {
    render(<OrderPayment order={orderExpiringIn(600_000)} renderedAt={NOW} />);
    expect(timerText()).toBe('You have 10 m 0 s left to pay');
    await advance(2_000);
    expect(timerText()).toBe('You have 9 m 58 s left to pay');
  });

  it('when the hold runs out, then shows "Order expired" and no way to pay', async () => {
    render(<OrderPayment order={orderExpiringIn(3_000)} renderedAt={NOW} />);
    expect(payButton()).not.toBeNull();
    await advance(2_000);
    expect(timerText()).toBe('You have 1 s left to pay');
    await advance(1_000);
    expect(screen.getByRole('status').textContent).toBe('Order expired');
    expect(payButton()).toBeNull();
  });

  it('when the order was cancelled by its expiry, then shows "Order expired"', () => {
    render(<OrderPayment order={orderExpiringIn(-1_000, 'cancelled')} renderedAt={NOW} />);
    expect(screen.getByRole('status').textContent).toBe('Order expired');
    expect(payButton()).toBeNull();
  });

  it('when the order is already complete, then says so, without countdown or pay', () => {
    render(<OrderPayment order={orderExpiringIn(-60_000, 'complete')} renderedAt={NOW} />);
    expect(screen.getByRole('status').textContent).toBe('Order complete');
    expect(timerText()).toBeUndefined();
    expect(payButton()).toBeNull();
  });

  it('when paying with the test card, then posts tok_visa, waits for the order to complete, says so and goes to My orders', async () => {
    const { sent } = mockFetch(
      { status: 201, body: { id: 'p1' } },
      { status: 200, body: orderExpiringIn(600_000, 'created') },
      { status: 200, body: orderExpiringIn(600_000, 'complete') },
    );
    render(<OrderPayment order={orderExpiringIn(600_000)} renderedAt={NOW} />);
    fireEvent.click(payButton()!);
    await advance(0);
    expect(sent[0]).toEqual({ url: '/api/payments', method: 'POST', body: { token: 'tok_visa', orderId: 'o1' } });
    expect(screen.getByRole('status').textContent).toMatch(/Completing your order/);

    await advance(500);
    expect(sent.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /api/payments', 'GET /api/orders/o1', 'GET /api/orders/o1']);
    expect(screen.getByRole('status').textContent).toMatch(/^Order complete/);
    expect(router.push).not.toHaveBeenCalled();

    await advance(1_500);
    expect(router.push).toHaveBeenCalledWith('/orders');
  });

  it('when the order never shows complete, then still says the payment was received and goes to My orders', async () => {
    mockFetch({ status: 201, body: { id: 'p1' } }, { status: 200, body: orderExpiringIn(600_000, 'created') });
    render(<OrderPayment order={orderExpiringIn(600_000)} renderedAt={NOW} />);
    fireEvent.click(payButton()!);
    await advance(0);
    await advance(16_000);
    expect(screen.getByRole('status').textContent).toMatch(/Payment received\. The order will show as complete shortly/);
    await advance(1_500);
    expect(router.push).toHaveBeenCalledWith('/orders');
  });

  it('when the payment is refused, then the API message is one alert and the pay button is back', async () => {
    mockFetch({ status: 400, body: { errors: [{ message: 'Cannot pay for a cancelled order' }] } });
    render(<OrderPayment order={orderExpiringIn(600_000)} renderedAt={NOW} />);
    fireEvent.click(payButton()!);
    await advance(0);
    expect(screen.getByRole('alert').textContent).toBe('Cannot pay for a cancelled order');
    expect(payButton()?.hasAttribute('disabled')).toBe(false);
    expect(router.push).not.toHaveBeenCalled();
  });

  it('when the order was rendered complete, then paying again is not offered and nothing is polled', async () => {
    const { fetchMock } = mockFetch({ status: 200, body: orderExpiringIn(600_000, 'complete') });
    render(<OrderPayment order={orderExpiringIn(600_000, 'complete', { payment: { status: 'paid' } })} renderedAt={NOW} />);
    await advance(10_000);
    expect(screen.getByRole('status').textContent).toBe('Order complete');
    expect(fetchMock).not.toHaveBeenCalled();
  });
});

describe('OrderPayment: the payment states of the order JSON', () => {
  it('when a payment is pending, then says "Payment in progress…" without countdown or pay, and polls until the order is complete', async () => {
    const { sent } = mockFetch({ status: 200, body: orderExpiringIn(600_000, 'created', PENDING) }, { status: 200, body: orderExpiringIn(600_000, 'complete', { payment: { status: 'paid' } }) });
    // Rendered after its hold would have ended: a pending payment extends the hold.
    render(<OrderPayment order={orderExpiringIn(-5_000, 'created', PENDING)} renderedAt={NOW} />);
    expect(screen.getByRole('status').textContent).toMatch(/^Payment in progress…/);
    expect(timerText()).toBeUndefined();
    expect(payButton()).toBeNull();

    await advance(2_000);
    expect(sent.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /api/orders/o1']);
    expect(screen.getByRole('status').textContent).toMatch(/^Payment in progress…/);
    await advance(2_000);
    expect(screen.getByRole('status').textContent).toBe('Order complete');
    // Not paid on this page: it stays here.
    await advance(5_000);
    expect(sent).toHaveLength(2);
    expect(router.push).not.toHaveBeenCalled();
  });

  it('when the payment failed, then shows the reason, the countdown and the pay button again', () => {
    render(<OrderPayment order={orderExpiringIn(300_000, 'created', DECLINED)} renderedAt={NOW} />);
    expect(screen.getByTestId('payment-failed').textContent).toBe('Payment failed: Your card was declined. You can try again while the order is held.');
    expect(screen.getByRole('alert')).toBe(screen.getByTestId('payment-failed'));
    expect(timerText()).toBe('You have 5 m 0 s left to pay');
    expect(payButton()?.hasAttribute('disabled')).toBe(false);
  });

  it('when the payment failed and the hold is over, then shows the reason and "Order expired", without pay', () => {
    render(<OrderPayment order={orderExpiringIn(-1_000, 'created', DECLINED)} renderedAt={NOW} />);
    expect(screen.getByTestId('payment-failed').textContent).toBe('Payment failed: Your card was declined.');
    expect(screen.getByRole('status').textContent).toBe('Order expired');
    expect(payButton()).toBeNull();
  });

  it('when the order was refunded, then says it is cancelled and how much was refunded, without pay', () => {
    render(<OrderPayment order={orderExpiringIn(300_000, 'cancelled', REFUNDED)} renderedAt={NOW} />);
    expect(screen.getByRole('status').textContent).toBe('Order cancelled — Refunded $20.50');
    expect(payButton()).toBeNull();
    expect(timerText()).toBeUndefined();
  });

  it('when the order was cancelled before its hold ended, then says "Order cancelled"', () => {
    render(<OrderPayment order={orderExpiringIn(300_000, 'cancelled')} renderedAt={NOW} />);
    expect(screen.getByRole('status').textContent).toBe('Order cancelled');
    expect(payButton()).toBeNull();
  });
});

describe('OrderPayment: the answers of POST /api/payments', () => {
  it('when the card is declined (402), then shows "Payment failed" with the reason and the pay button again', async () => {
    const { sent } = mockFetch({ status: 402, body: { errors: [{ message: 'Your card was declined.' }] } });
    render(<OrderPayment order={orderExpiringIn(600_000)} renderedAt={NOW} />);
    fireEvent.click(payButton()!);
    await advance(0);
    expect(screen.getAllByRole('alert').map((a) => a.textContent)).toEqual(['Payment failed: Your card was declined. You can try again while the order is held.']);
    expect(payButton()?.hasAttribute('disabled')).toBe(false);
    expect(timerText()).toBe('You have 10 m 0 s left to pay');
    await advance(5_000);
    expect(sent).toHaveLength(1);
    expect(router.push).not.toHaveBeenCalled();
  });

  it('when the order was cancelled meanwhile and the charge refunded (400), then shows the API message and the refunded order', async () => {
    const { sent } = mockFetch(
      { status: 400, body: { errors: [{ message: 'Order was cancelled; the payment has been refunded' }] } },
      { status: 200, body: orderExpiringIn(600_000, 'cancelled', REFUNDED) },
    );
    render(<OrderPayment order={orderExpiringIn(600_000)} renderedAt={NOW} />);
    fireEvent.click(payButton()!);
    await advance(0);
    expect(sent.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /api/payments', 'GET /api/orders/o1']);
    expect(screen.getByRole('alert').textContent).toBe('Order was cancelled; the payment has been refunded');
    expect(screen.getByRole('status').textContent).toBe('Order cancelled — Refunded $20.50');
    expect(payButton()).toBeNull();
  });

  it('when another payment is already in progress (409), then says so, hides pay, and follows the order to complete', async () => {
    const { sent } = mockFetch(
      { status: 409, body: { errors: [{ message: 'Payment already in progress' }] } },
      { status: 200, body: orderExpiringIn(600_000, 'created', PENDING) },
      { status: 200, body: orderExpiringIn(600_000, 'complete', { payment: { status: 'paid' } }) },
    );
    render(<OrderPayment order={orderExpiringIn(600_000)} renderedAt={NOW} />);
    fireEvent.click(payButton()!);
    await advance(0);
    expect(screen.getByRole('status').textContent).toMatch(/Payment in progress/);
    expect(screen.queryByRole('alert')).toBeNull();
    expect(payButton()).toBeNull();
    expect(sent.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /api/payments', 'GET /api/orders/o1']);

    await advance(2_000);
    expect(screen.getByRole('status').textContent).toMatch(/^Order complete/);
    await advance(1_500);
    expect(router.push).toHaveBeenCalledWith('/orders');
  });

  it('when the payment service cannot settle the charge yet (503 + Retry-After), then says it is being processed and polls at that pace until paid', async () => {
    const { sent } = mockFetch(
      { status: 503, body: { errors: [{ message: 'Service unavailable' }] }, headers: { 'Retry-After': '5' } },
      { status: 200, body: orderExpiringIn(600_000) },
      { status: 200, body: orderExpiringIn(600_000, 'created', PENDING) },
      { status: 200, body: orderExpiringIn(600_000, 'complete', { payment: { status: 'paid' } }) },
    );
    render(<OrderPayment order={orderExpiringIn(600_000)} renderedAt={NOW} />);
    fireEvent.click(payButton()!);
    await advance(0);
    expect(screen.getByRole('status').textContent).toBe(PROCESSING_MESSAGE);
    expect(screen.queryByRole('alert')).toBeNull();
    expect(payButton()).toBeNull();
    expect(sent).toHaveLength(2);

    await advance(4_000);
    expect(sent).toHaveLength(2);
    await advance(1_000);
    // The order now shows the pending payment.
    expect(sent).toHaveLength(3);
    expect(screen.getByRole('status').textContent).toMatch(/^Payment in progress…/);
    await advance(5_000);
    expect(screen.getByRole('status').textContent).toMatch(/^Order complete/);
    await advance(1_500);
    expect(router.push).toHaveBeenCalledWith('/orders');
    expect(sent.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('when a payment being processed then fails, then shows the reason and the pay button again', async () => {
    mockFetch(
      { status: 503, body: { errors: [{ message: 'Service unavailable' }] }, headers: { 'Retry-After': '2' } },
      { status: 200, body: orderExpiringIn(600_000, 'created', PENDING) },
      { status: 200, body: orderExpiringIn(600_000, 'created', { payment: { status: 'failed', reason: 'Your card has insufficient funds.' } }) },
    );
    render(<OrderPayment order={orderExpiringIn(600_000)} renderedAt={NOW} />);
    fireEvent.click(payButton()!);
    await advance(0);
    await advance(2_000);
    expect(screen.getByTestId('payment-failed').textContent).toMatch(/^Payment failed: Your card has insufficient funds\./);
    expect(payButton()?.hasAttribute('disabled')).toBe(false);
    expect(router.push).not.toHaveBeenCalled();
  });

  it('when the order never shows the payment being processed, then the pay button comes back after a minute', async () => {
    mockFetch({ status: 503, body: { errors: [{ message: 'Service unavailable' }] }, headers: { 'Retry-After': '5' } }, { status: 200, body: orderExpiringIn(600_000) });
    render(<OrderPayment order={orderExpiringIn(600_000)} renderedAt={NOW} />);
    fireEvent.click(payButton()!);
    await advance(0);
    expect(payButton()).toBeNull();
    await advance(59_000);
    expect(payButton()).toBeNull();
    await advance(1_000);
    expect(payButton()?.hasAttribute('disabled')).toBe(false);
  });

  it('when the API fails unexpectedly (500), then shows its message and the pay button again, not a crash', async () => {
    mockFetch({ status: 500, body: { errors: [{ message: 'Something went wrong' }] } });
    render(<OrderPayment order={orderExpiringIn(600_000)} renderedAt={NOW} />);
    fireEvent.click(payButton()!);
    await advance(0);
    expect(screen.getByRole('alert').textContent).toBe('Something went wrong');
    expect(payButton()?.hasAttribute('disabled')).toBe(false);
  });

  it('when the request is refused as cross-site (403), then shows the API message', async () => {
    mockFetch({ status: 403, body: { errors: [{ message: 'Cross-site request refused' }] } });
    render(<OrderPayment order={orderExpiringIn(600_000)} renderedAt={NOW} />);
    fireEvent.click(payButton()!);
    await advance(0);
    expect(screen.getByRole('alert').textContent).toBe('Cross-site request refused');
    expect(payButton()?.hasAttribute('disabled')).toBe(false);
  });
});
