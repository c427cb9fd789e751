import { OrderCreatedEvent, Publisher, Subjects } from '@ticketing/common';

export class OrderCreatedPublisher extends Publisher<OrderCreatedEvent> {
  readonly subject = Subjects.OrderCreated;
}
