import type { Metadata } from 'next';
import Link from 'next/link';
import { apiGet, requireUser } from '@/lib/api-server';
import { formatOrderStatus, formatPrice } from '@/lib/format';
import type { Order } from '@/lib/types';

export const metadata: Metadata = { title: 'My orders' };

const STATUS_BADGE: Record<string, string> = {
  complete: 'text-bg-success',
  cancelled: 'text-bg-secondary',
};

export default async function OrdersPage() {
  await requireUser('/orders');
  const result = await apiGet<Order[]>('/api/orders');
  const orders = result.ok ? result.data : [];

  return (
    <>
      <h1 className="h3 mb-3">My orders</h1>
      {orders.length === 0 ? (
        <p className="text-body-secondary">
          No orders yet. <Link href="/">Find a ticket</Link>
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
            {orders.map((order) => (
              <tr key={order.id} data-order-id={order.id}>
                <td>
                  <Link href={`/orders/${encodeURIComponent(order.id)}`}>{order.ticket.title}</Link>
                </td>
                <td>
                  <span className={`badge ${STATUS_BADGE[order.status] ?? 'text-bg-warning'}`}>{formatOrderStatus(order.status)}</span>
                </td>
                <td className="text-end ticket-price">{formatPrice(order.ticket.price)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
