import { EventOutOfOrderError, Listener, QueueGroups, Subjects, TicketUpdatedEvent } from '@ticketing/common';
import { Ticket } from '../../models/ticket';

export class TicketUpdatedListener extends Listener<TicketUpdatedEvent> {
  readonly subject = Subjects.TicketUpdated;
  readonly queueGroupName = QueueGroups.Orders;

  async onMessage({ id, title, price, userId, version }: TicketUpdatedEvent['data']): Promise<void> {
    // Applies only as the next version of what is stored, in one conditional write.
    const applied = await Ticket.findOneAndUpdate({ _id: id, version: version - 1 }, { $set: { title, price, userId, version } });
    if (applied) return;
    const local = await Ticket.findById(id, { version: 1 });
    if (local && local.version >= version) return; // already applied: a redelivery
    throw new EventOutOfOrderError(
      `ticket ${id} v${version} arrived while the replica is at ${local ? `v${local.version}` : 'nothing'}`,
    );
  }
}
