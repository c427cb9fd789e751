import Link from 'next/link';
import { formatPrice } from '@/lib/format';
import { orderStatusSummary } from '@/lib/order-state';
import type { Order } from '@/lib/types';
import { Pager } from './Pager';

/** One page of my orders, newest first: ticket, where the order and its payment stand, price. */
export function OrderTable({ orders, before, nextCursor }: { orders: Order[]; before?: string; nextCursor?: string }) {
  return (
    <>
      {orders.length === 0 ? (
        <p className="text-body-secondary">
          {before ? 'No older orders.' : 'No orders yet.'} <Link href="/">Find a ticket</Link>
        </p>
      ) : (
        <table className="table align-middle" data-testid="orders">
          <thead>
            <tr>
              <th scope="col">Ticket</th>
              <th scope="col">Status</th>
              <th scope="col" className="text-end">
                Price
              </th>
            </tr>
          </thead>
          <tbody>
            {orders.map((order) => {
              const status = orderStatusSummary(order);
              return (
                <tr key={order.id} data-order-id={order.id}>
                  <td>
                    <Link href={`/orders/${encodeURIComponent(order.id)}`}>{order.ticket.title}</Link>
                  </td>
                  <td>
                    <span className={`badge ${status.badge}`}>{status.label}</span>
                    {status.detail && <span className="small text-body-secondary"> {status.detail}</span>}
                  </td>
                  <td className="text-end ticket-price">{formatPrice(order.ticket.price)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <Pager path="/orders" before={before} nextCursor={nextCursor} noun="orders" />
    </>
  );
}
