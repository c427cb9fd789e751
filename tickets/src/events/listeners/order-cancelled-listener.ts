import { Listener, MessageContext, OrderCancelledEvent, QueueGroups, Subjects } from '@ticketing/common';
import { changeTicket, rememberReleasedOrder, saveNextVersion } from '../../models/ticket';
import { listedTickets } from '../../models/listed-tickets';

/** The order that held the ticket is over: free the ticket (orderId unset, version+1, ticket:updated). */
export class OrderCancelledListener extends Listener<OrderCancelledEvent> {
  readonly subject = Subjects.OrderCancelled;
  readonly queueGroupName = QueueGroups.Tickets;

  /** One lane per ticket: its events in order, other tickets' alongside (the ticket it releases). */
  protected override orderingKey(data: OrderCancelledEvent['data']): string {
    return data.ticket.id;
  }

  async onMessage(data: OrderCancelledEvent['data'], { requestId, logger }: MessageContext): Promise<void> {
    const orderId = data.id;
    const ticketId = data.ticket.id;
    const outcome = await changeTicket(ticketId, (ticket) => {
      if (!ticket) throw new Error(`ticket ${ticketId} of order ${orderId} not found`);
      if (ticket.orderId === orderId) {
        return {
          write: async () => {
            const saved = await saveNextVersion(ticket, { title: ticket.title, price: ticket.price }, requestId);
            if (saved) listedTickets.applyStored(saved);
            return saved && 'freed';
          },
        };
      }
      // Only the holding order frees a ticket. One that does not hold it is either a
      // duplicate, or its order:created is still on its way (another channel): remember it,
      // so that late order:created does not reserve the ticket for an order already over.
      if (ticket.releasedOrderIds.includes(orderId)) return { done: 'already released' };
      return {
        write: async () => ((await rememberReleasedOrder(ticket, orderId)) ? 'remembered before its order:created' : null),
      };
    });
    logger.info({ ticketId, orderId, outcome }, 'order:cancelled handled');
  }
}
