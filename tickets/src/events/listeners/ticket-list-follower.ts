import {
  Listener,
  MessageContext,
  QueueGroups,
  Subjects,
  TicketCreatedEvent,
  TicketUpdatedEvent,
} from '@ticketing/common';
import { listedTickets } from '../../models/listed-tickets';

/**
 * Keeps this process's ticket list current with what OTHER replicas of tickets write: every
 * process follows the service's own ticket:created / ticket:updated events with a
 * non-durable subscription (no queue group: each process gets each event; nothing is
 * replayed at start, when the list is loaded from the database anyway). The list applies an
 * event only when its version is newer, so this process's own events, already applied at
 * write time, change nothing. Staleness: one event hop (milliseconds); the timed refresh is
 * the backstop for what a reconnect may have missed.
 */
abstract class TicketListFollower<E extends TicketCreatedEvent | TicketUpdatedEvent> extends Listener<E> {
  override durable = false;
  readonly queueGroupName = `${QueueGroups.Tickets}-list`;

  async onMessage(data: E['data'], _ctx: MessageContext): Promise<void> {
    listedTickets.apply(data);
  }
}

export class TicketCreatedFollower extends TicketListFollower<TicketCreatedEvent> {
  readonly subject = Subjects.TicketCreated;
}

export class TicketUpdatedFollower extends TicketListFollower<TicketUpdatedEvent> {
  readonly subject = Subjects.TicketUpdated;
}
