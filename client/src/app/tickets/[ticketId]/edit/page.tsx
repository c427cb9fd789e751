import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { TicketForm } from '@/components/TicketForm';
import { apiGet, requireUser } from '@/lib/api-server';
import type { Ticket } from '@/lib/types';

export const metadata: Metadata = { title: 'Edit ticket' };

export default async function EditTicketPage({ params }: { params: Promise<{ ticketId: string }> }) {
  const { ticketId } = await params;
  const ticketPath = `/tickets/${encodeURIComponent(ticketId)}`;
  const user = await requireUser(`${ticketPath}/edit`);
  const result = await apiGet<Ticket>(`/api/tickets/${encodeURIComponent(ticketId)}`);
  // Someone else's ticket is not editable: as far as this page goes, it does not exist.
  if (!result.ok || result.data.userId !== user.id) notFound();
  const ticket = result.data;

  return (
    <>
      <h1 className="h3 mb-3">Edit ticket</h1>
      {ticket.orderId ? (
        <div className="alert alert-info">
          This ticket is reserved by a buyer and cannot be edited. <Link href={ticketPath}>Back to the ticket</Link>
        </div>
      ) : (
        <TicketForm ticket={ticket} />
      )}
    </>
  );
}
