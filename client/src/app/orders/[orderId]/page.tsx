import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { OrderPayment } from '@/components/OrderPayment';
import { apiGet, requireUser } from '@/lib/api-server';
import { formatPrice } from '@/lib/format';
import type { Order } from '@/lib/types';

export const metadata: Metadata = { title: 'Order' };

export default async function OrderPage({ params }: { params: Promise<{ orderId: string }> }) {
  const { orderId } = await params;
  await requireUser(`/orders/${encodeURIComponent(orderId)}`);
  const result = await apiGet<Order>(`/api/orders/${encodeURIComponent(orderId)}`);
  // 404, or 401 for another user's order: either way there is nothing here for this user.
  if (!result.ok) notFound();
  const order = result.data;

  return (
    <div className="col-md-8">
      {/* The status is shown by OrderPayment, which keeps it current (countdown, payment). */}
      <p className="text-body-secondary mb-1">
        Order <code>{order.id}</code>
      </p>
      <h1 className="h3">{order.ticket.title}</h1>
      <p className="fs-4 ticket-price">{formatPrice(order.ticket.price)}</p>
      <OrderPayment
        order={order}
        renderedAt={Date.now()}
        // Read at request time, not inlined at build time: one build serves every environment.
        stripePublishableKey={process.env.STRIPE_PUBLISHABLE_KEY || undefined}
      />
      <p className="mt-4">
        <Link href="/orders">My orders</Link>
      </p>
    </div>
  );
}
