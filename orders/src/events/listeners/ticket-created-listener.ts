import { createReplica, Listener, QueueGroups, Subjects, TicketCreatedEvent } from '@ticketing/common';
import { Ticket } from '../../models/ticket';

/** Starts the replica of a new ticket, so it can be ordered. A redelivery changes nothing. */
export class TicketCreatedListener extends Listener<TicketCreatedEvent> {
  readonly subject = Subjects.TicketCreated;
  readonly queueGroupName = QueueGroups.Orders;

  /** One lane per ticket: its events in order, other tickets' alongside (the ticket replica it writes). */
  protected override orderingKey(data: TicketCreatedEvent['data']): string {
    return data.id;
  }

  async onMessage({ id, title, price, userId, version }: TicketCreatedEvent['data']): Promise<void> {
    await createReplica(Ticket, { _id: id, title, price, userId, version });
  }
}
