import { isDuplicateKeyError, Listener, QueueGroups, Subjects, TicketCreatedEvent } from '@ticketing/common';
import { Ticket } from '../../models/ticket';

export class TicketCreatedListener extends Listener<TicketCreatedEvent> {
  readonly subject = Subjects.TicketCreated;
  readonly queueGroupName = QueueGroups.Orders;

  async onMessage({ id, title, price, userId, version }: TicketCreatedEvent['data']): Promise<void> {
    try {
      await Ticket.create({ _id: id, title, price, userId, version });
    } catch (err) {
      // The replica already has this ticket: a redelivery, nothing left to do.
      if (!isDuplicateKeyError(err)) throw err;
    }
  }
}
