import { PaymentStartedEvent, Publisher, Subjects } from '@ticketing/common';

export class PaymentStartedPublisher extends Publisher<PaymentStartedEvent> {
  readonly subject = Subjects.PaymentStarted;
}
