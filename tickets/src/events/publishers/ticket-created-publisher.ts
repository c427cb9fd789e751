import { Publisher, Subjects, TicketCreatedEvent } from '@ticketing/common';

export class TicketCreatedPublisher extends Publisher<TicketCreatedEvent> {
  readonly subject = Subjects.TicketCreated;
}
