import type { Metadata } from 'next';
import { ErrorAlert } from '@/components/ErrorAlert';
import { OrderTable } from '@/components/OrderTable';
import { beforeParam } from '@/components/Pager';
import { apiGet, requireUser } from '@/lib/api-server';
import type { Order } from '@/lib/types';

export const metadata: Metadata = { title: 'My orders' };

type Props = { searchParams: Promise<{ before?: string | string[] }> };

export default async function OrdersPage({ searchParams }: Props) {
  const before = beforeParam((await searchParams).before);
  await requireUser(before ? `/orders?before=${encodeURIComponent(before)}` : '/orders');
  const result = await apiGet<Order[]>(before ? `/api/orders?before=${encodeURIComponent(before)}` : '/api/orders');

  return (
    <>
      <h1 className="h3 mb-3">My orders</h1>
      {!result.ok && <ErrorAlert messages={result.errors.map((e) => e.message)} />}
      <OrderTable orders={result.ok ? result.data : []} before={before} nextCursor={result.ok ? result.nextCursor : undefined} />
    </>
  );
}
