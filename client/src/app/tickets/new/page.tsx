import type { Metadata } from 'next';
import { TicketForm } from '@/components/TicketForm';
import { requireUser } from '@/lib/api-server';

export const metadata: Metadata = { title: 'Sell a ticket' };

export default async function NewTicketPage() {
  await requireUser('/tickets/new');
  return (
    <>
      <h1 className="h3 mb-3">Sell a ticket</h1>
      <TicketForm />
    </>
  );
}
