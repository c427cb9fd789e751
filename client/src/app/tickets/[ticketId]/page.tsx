import type { Metadata } from 'next';
import Link from 'next/link';
import { notFound } from 'next/navigation';
import { PurchaseButton } from '@/components/PurchaseButton';
import { apiGet, getCurrentUser } from '@/lib/api-server';
import { formatPrice } from '@/lib/format';
import type { Ticket } from '@/lib/types';

type Props = { params: Promise<{ ticketId: string }> };

async function loadTicket(ticketId: string): Promise<Ticket> {
  const result = await apiGet<Ticket>(`/api/tickets/${encodeURIComponent(ticketId)}`);
  if (!result.ok) notFound();
  return result.data;
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const result = await apiGet<Ticket>(`/api/tickets/${encodeURIComponent((await params).ticketId)}`);
  return { title: result.ok ? result.data.title : 'Ticket' };
}

export default async function TicketPage({ params }: Props) {
  const { ticketId } = await params;
  const [ticket, currentUser] = await Promise.all([loadTicket(ticketId), getCurrentUser()]);
  const mine = currentUser?.id === ticket.userId;
  const ticketPath = `/tickets/${encodeURIComponent(ticket.id)}`;

  return (
    <div className="col-md-8">
      <h1 className="h3">{ticket.title}</h1>
      <p className="fs-4 ticket-price" data-testid="price">
        {formatPrice(ticket.price)}
      </p>
      {ticket.orderId && (
        <p>
          <span className="badge text-bg-secondary">Reserved</span>
        </p>
      )}
      {mine ? (
        <>
          <p className="text-body-secondary">This is your ticket.</p>
          {!ticket.orderId && (
            <Link href={`${ticketPath}/edit`} className="btn btn-outline-primary">
              Edit
            </Link>
          )}
        </>
      ) : ticket.orderId ? (
        <p className="text-body-secondary">Someone is buying this ticket right now. It goes back on sale if they do not pay in time.</p>
      ) : currentUser ? (
        <PurchaseButton ticketId={ticket.id} />
      ) : (
        <Link href={`/auth/signin?next=${encodeURIComponent(ticketPath)}`} className="btn btn-primary">
          Sign in to purchase
        </Link>
      )}
    </div>
  );
}
