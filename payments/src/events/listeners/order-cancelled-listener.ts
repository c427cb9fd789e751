import {
  applyNextVersion,
  EventBus,
  Listener,
  Logger,
  MessageContext,
  OrderCancelledEvent,
  OrderStatus,
  QueueGroups,
  Subjects,
} from '@ticketing/common';
import { Order } from '../../models/order';
import { STRIPE_CALL_DEADLINE_MS } from '../../stripe';
import type { PaymentProcessor } from '../../payment-processor';

/**
 * Marks the replica cancelled, so the order can no longer be paid, then applies the refund
 * rule to a payment that succeeded or is still pending (PaymentProcessor.orderCancelled).
 */
export class OrderCancelledListener extends Listener<OrderCancelledEvent> {
  readonly subject = Subjects.OrderCancelled;
  readonly queueGroupName: string = QueueGroups.Payments;

  /** One lane per order: its events in order, other orders' alongside (the order replica and payment it writes). */
  protected override orderingKey(data: OrderCancelledEvent['data']): string {
    return data.id;
  }
  /** It may refund through Stripe: one call is bounded at STRIPE_CALL_DEADLINE_MS (32 s). */
  override ackWaitMs = STRIPE_CALL_DEADLINE_MS + 13_000;

  constructor(
    bus: EventBus,
    logger: Logger,
    private readonly processor: PaymentProcessor,
  ) {
    super(bus, logger);
  }

  async onMessage(data: OrderCancelledEvent['data'], ctx: MessageContext): Promise<void> {
    // Only as the next version of what is stored; a redelivery is a no-op, a gap waits.
    await applyNextVersion(Order, data.id, data.version, { status: OrderStatus.Cancelled });
    // Also after 'already-applied': a crash between the two writes is finished by the
    // redelivery. The replica is written first; the processor then writes the payment.
    await this.processor.orderCancelled(data.id, { requestId: ctx.requestId });
  }
}
