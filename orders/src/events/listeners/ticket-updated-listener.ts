import { applyNextVersion, Listener, QueueGroups, Subjects, TicketUpdatedEvent } from '@ticketing/common';
import { Ticket } from '../../models/ticket';

export class TicketUpdatedListener extends Listener<TicketUpdatedEvent> {
  readonly subject = Subjects.TicketUpdated;
  readonly queueGroupName = QueueGroups.Orders;

  /** One lane per ticket: its events in order, other tickets' alongside (the ticket replica it writes). */
  protected override orderingKey(data: TicketUpdatedEvent['data']): string {
    return data.id;
  }

  async onMessage({ id, title, price, userId, version, orderId }: TicketUpdatedEvent['data']): Promise<void> {
    // Only as the next version of what is stored; a redelivery is a no-op, a gap waits.
    // The holder comes with it: no write of its own on the order's path.
    await applyNextVersion(Ticket, id, version, { title, price, userId, heldBy: orderId ?? null });
  }
}
