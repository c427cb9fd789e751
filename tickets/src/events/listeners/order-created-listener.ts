import { EventOutOfOrderError, Listener, MessageContext, OrderCreatedEvent, QueueGroups, Subjects } from '@ticketing/common';
import { changeTicket, saveNextVersion, TicketTokens } from '../../models/ticket';
import { listedTickets } from '../../models/listed-tickets';

/** An order now holds the ticket: reserve it (orderId set, version+1, ticket:updated). */
export class OrderCreatedListener extends Listener<OrderCreatedEvent> {
  readonly subject = Subjects.OrderCreated;
  readonly queueGroupName = QueueGroups.Tickets;

  /** One lane per ticket: its events in order, other tickets' alongside (the ticket it reserves). */
  protected override orderingKey(data: OrderCreatedEvent['data']): string {
    return data.ticket.id;
  }

  async onMessage(data: OrderCreatedEvent['data'], { requestId, logger }: MessageContext): Promise<void> {
    const orderId = data.id;
    const ticketId = data.ticket.id;
    const reserve = async (current: TicketTokens, listing: { title: string; price: number }) => {
      const saved = await saveNextVersion(current, { title: listing.title, price: listing.price, orderId }, requestId);
      if (saved) listedTickets.applyStored(saved);
      return saved && 'reserved';
    };
    // For sale as the list knows it: reserved without reading the ticket first, by the same
    // conditional write, which misses (null: read, then decide) unless the stored ticket is
    // still at that version, unheld, and the order not released meanwhile.
    const forSale = listedTickets.listed(ticketId);
    const optimistic = forSale && (() => reserve({ _id: ticketId, version: forSale.version, userId: forSale.userId }, forSale));
    const outcome = await changeTicket(ticketId, (ticket) => {
      // Tickets are never deleted: the order names one we should have; retried, then dead-lettered.
      if (!ticket) throw new Error(`ticket ${ticketId} of order ${orderId} not found`);
      // A duplicate, or an order whose order:cancelled (another channel) overtook this event.
      if (ticket.orderId === orderId) return { done: 'already reserved' };
      if (ticket.releasedOrderIds.includes(orderId)) return { done: 'order already cancelled' };
      // The order that held it before has been cancelled by the orders service, but its
      // order:cancelled has not reached us yet: wait for it rather than steal the hold.
      if (ticket.orderId) {
        throw new EventOutOfOrderError(`ticket ${ticketId} is still reserved by order ${ticket.orderId}`);
      }
      return { write: () => reserve(ticket, ticket) };
    }, optimistic);
    logger.info({ ticketId, orderId, outcome }, 'order:created handled');
  }
}
