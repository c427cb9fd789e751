import Link from 'next/link';
import { ErrorAlert } from '@/components/ErrorAlert';
import { beforeParam } from '@/components/Pager';
import { TicketTable } from '@/components/TicketTable';
import { apiGet, getCurrentUser } from '@/lib/api-server';
import type { Ticket } from '@/lib/types';

type Props = { searchParams: Promise<{ before?: string | string[] }> };

export default async function LandingPage({ searchParams }: Props) {
  const before = beforeParam((await searchParams).before);
  const path = before ? `/api/tickets?before=${encodeURIComponent(before)}` : '/api/tickets';
  const [result, currentUser] = await Promise.all([apiGet<Ticket[]>(path), getCurrentUser()]);
  return (
    <>
      <div className="d-flex align-items-center justify-content-between mb-3">
        <h1 className="h3 mb-0">Tickets for sale</h1>
        <Link href={currentUser ? '/tickets/new' : '/auth/signin?next=%2Ftickets%2Fnew'} className="btn btn-outline-primary">
          Sell a ticket
        </Link>
      </div>
      {/* A 4xx here is a cursor the API does not accept (edited by hand): say so in its words. */}
      {!result.ok && <ErrorAlert messages={result.errors.map((e) => e.message)} />}
      <TicketTable tickets={result.ok ? result.data : []} before={before} nextCursor={result.ok ? result.nextCursor : undefined} />
    </>
  );
}
