import { PaymentFailedEvent, Publisher, Subjects } from '@ticketing/common';

export class PaymentFailedPublisher extends Publisher<PaymentFailedEvent> {
  readonly subject = Subjects.PaymentFailed;
}
