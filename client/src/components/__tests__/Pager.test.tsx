import { render, screen } from '@testing-library/react';
import type { Order, Ticket } from '@/lib/types';
import { beforeParam } from '../Pager';
import { OrderTable } from '../OrderTable';
import { TicketTable } from '../TicketTable';

const ticket = (id: string, title: string, price = 20.5): Ticket => ({ id, title, price, userId: 'u1', version: 0 });
const link = (name: string) => screen.queryByRole('link', { name });

function order(id: string, fields: Partial<Order> = {}): Order {
  return { id, userId: 'u1', status: 'created', expiresAt: '2030-01-01T12:15:00Z', ticket: { id: `t-${id}`, title: `Show ${id}`, price: 20.5 }, version: 0, ...fields };
}
const statusCell = (orderId: string) =>
  document.querySelector(`[data-order-id="${orderId}"] td:nth-child(2)`)?.textContent?.replace(/\s+/g, ' ').trim();

describe('TicketTable (the landing page)', () => {
  it('when the API gave a next cursor, then "Older tickets" links to the landing page before that cursor', () => {
    render(<TicketTable tickets={[ticket('t1', 'Concert')]} nextCursor="abc/+=1" />);
    expect(link('Older tickets')?.getAttribute('href')).toBe('/?before=abc%2F%2B%3D1');
    // The first page has no way "back to newest": it is the newest.
    expect(link('Newest tickets')).toBeNull();
  });

  it('when there is no next cursor (the last page), then there is no "Older tickets" link', () => {
    render(<TicketTable tickets={[ticket('t1', 'Concert')]} />);
    expect(link('Older tickets')).toBeNull();
    expect(screen.queryByRole('navigation')).toBeNull();
  });

  it('when showing an older page, then it links back to the newest tickets and on to older ones', () => {
    render(<TicketTable tickets={[ticket('t2', 'Opera')]} before="c1" nextCursor="c2" />);
    expect(link('Newest tickets')?.getAttribute('href')).toBe('/');
    expect(link('Older tickets')?.getAttribute('href')).toBe('/?before=c2');
    expect(screen.getByText('Opera')).toBeTruthy();
  });

  it('when an older page is empty, then says there are no older tickets and links back', () => {
    render(<TicketTable tickets={[]} before="c9" />);
    expect(screen.getByText('No older tickets for sale.')).toBeTruthy();
    expect(link('Newest tickets')?.getAttribute('href')).toBe('/');
  });
});

describe('OrderTable (my orders)', () => {
  it('when the API gave a next cursor, then "Older orders" links to /orders before that cursor', () => {
    render(<OrderTable orders={[order('o1')]} nextCursor="n1" />);
    expect(link('Older orders')?.getAttribute('href')).toBe('/orders?before=n1');
  });

  it('when there is no next cursor, then there is no "Older orders" link', () => {
    render(<OrderTable orders={[order('o1')]} />);
    expect(link('Older orders')).toBeNull();
  });

  it('when orders are in every payment state, then each row says where it stands, refunds with their amount', () => {
    render(
      <OrderTable
        orders={[
          order('awaiting'),
          order('pending', { payment: { status: 'pending' } }),
          order('failed', { payment: { status: 'failed', reason: 'Your card was declined.' } }),
          order('paid', { status: 'complete', payment: { status: 'paid' } }),
          order('refunded', { status: 'cancelled', payment: { status: 'refunded' }, refund: { id: 're_1', amount: 2050 } }),
          order('cancelled', { status: 'cancelled' }),
        ]}
      />,
    );
    expect(statusCell('awaiting')).toBe('Awaiting payment');
    expect(statusCell('pending')).toBe('Payment in progress…');
    expect(statusCell('failed')).toBe('Payment failed Your card was declined.');
    expect(statusCell('paid')).toBe('Complete');
    expect(statusCell('refunded')).toBe('Cancelled Refunded $20.50');
    expect(statusCell('cancelled')).toBe('Cancelled');
  });
});

describe('beforeParam', () => {
  it('when the cursor is given once, twice or not at all, then takes the first or none', () => {
    expect(beforeParam('c1')).toBe('c1');
    expect(beforeParam(['c1', 'c2'])).toBe('c1');
    expect(beforeParam(undefined)).toBeUndefined();
    expect(beforeParam('')).toBeUndefined();
  });
});
