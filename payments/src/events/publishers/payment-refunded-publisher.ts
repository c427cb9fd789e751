import { PaymentRefundedEvent, Publisher, Subjects } from '@ticketing/common';

export class PaymentRefundedPublisher extends Publisher<PaymentRefundedEvent> {
  readonly subject = Subjects.PaymentRefunded;
}
