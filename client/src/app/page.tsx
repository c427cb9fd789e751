import Link from 'next/link';
import { apiGet, getCurrentUser } from '@/lib/api-server';
import { formatPrice } from '@/lib/format';
import type { Ticket } from '@/lib/types';

export default async function LandingPage() {
  const [result, currentUser] = await Promise.all([apiGet<Ticket[]>('/api/tickets'), getCurrentUser()]);
  const tickets = result.ok ? result.data : [];
  return (
    <>
      <div className="d-flex align-items-center justify-content-between mb-3">
        <h1 className="h3 mb-0">Tickets for sale</h1>
        <Link href={currentUser ? '/tickets/new' : '/auth/signin?next=%2Ftickets%2Fnew'} className="btn btn-outline-primary">
          Sell a ticket
        </Link>
      </div>
      {tickets.length === 0 ? (
        <p className="text-body-secondary">No tickets for sale right now.</p>
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
    </>
  );
}
