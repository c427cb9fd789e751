import Link from 'next/link';
import { formatPrice } from '@/lib/format';
import type { Ticket } from '@/lib/types';
import { Pager } from './Pager';

/** One page of the tickets for sale, newest first, with the link to older ones. */
export function TicketTable({ tickets, before, nextCursor }: { tickets: Ticket[]; before?: string; nextCursor?: string }) {
  return (
    <>
      {tickets.length === 0 ? (
        <p className="text-body-secondary">{before ? 'No older tickets for sale.' : 'No tickets for sale right now.'}</p>
      ) : (
        <table className="table align-middle" data-testid="tickets">
          <thead>
            <tr>
              <th scope="col">Title</th>
              <th scope="col" className="text-end">
                Price
              </th>
              <th scope="col" className="text-end">
                <span className="visually-hidden">Link</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tickets.map((ticket) => (
              <tr key={ticket.id}>
                <td>{ticket.title}</td>
                <td className="text-end ticket-price">{formatPrice(ticket.price)}</td>
                <td className="text-end">
                  <Link href={`/tickets/${encodeURIComponent(ticket.id)}`}>View</Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager path="/" before={before} nextCursor={nextCursor} noun="tickets" />
    </>
  );
}
