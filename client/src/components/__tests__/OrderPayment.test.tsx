import { act, fireEvent, render, screen } from '@testing-library/react';
import type { Order } from '@/lib/types';
import { mockFetch } from '../../test/fetch-mock';
import { resetRouter, router } from '../../test/router-mock';
import { Countdown } from '../Countdown';
import { OrderPayment } from '../OrderPayment';

jest.mock('next/navigation', () => ({ useRouter: () => jest.requireActual('../../test/router-mock').router }));

const NOW = Date.parse('2030-01-01T12:00:00Z');

function orderExpiringIn(ms: number, status: Order['status'] = 'created'): Order {
  return {
    id: 'o1',
    userId: 'u1',
    status,
    expiresAt: new Date(NOW + ms).toISOString(),
    ticket: { id: 't1', title: 'Concert', price: 20.5 },
    version: 0,
  };
}

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
});
