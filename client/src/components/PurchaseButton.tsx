'use client';

import { useRouter } from 'next/navigation';
import { apiRequest } from '@/lib/api-client';
import type { Order } from '@/lib/types';
import { useApiAction } from '@/lib/use-api-action';
import { ErrorAlert } from './ErrorAlert';

/** Reserves the ticket (creates an order) and goes to the order's page to pay. */
export function PurchaseButton({ ticketId }: { ticketId: string }) {
  const router = useRouter();
  const { run, pending, general } = useApiAction();

  async function purchase() {
    const result = await run(() => apiRequest<Order>('POST', '/api/orders', { ticketId }));
    if (result.ok) router.push(`/orders/${encodeURIComponent(result.value.id)}`);
  }

  return (
    <div>
      <ErrorAlert messages={general} />
      <button type="button" className="btn btn-primary" onClick={purchase} disabled={pending}>
        Purchase
      </button>
    </div>
  );
}
