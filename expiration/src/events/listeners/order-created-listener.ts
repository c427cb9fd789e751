import type { Queue } from 'bullmq';
import {
  EventBus,
  Listener,
  Logger,
  MessageContext,
  OrderCreatedEvent,
  QueueGroups,
  Subjects,
} from '@ticketing/common';
import { EXPIRE_ORDER_JOB, ExpirationJobData, expirationJobId } from '../../queues/expiration-queue';

/**
 * Schedules the order's expiration. Resolving only once the job is stored in Redis means the
 * message is acked only then; a duplicate delivery hits the same job id and adds nothing.
 */
export class OrderCreatedListener extends Listener<OrderCreatedEvent> {
  readonly subject = Subjects.OrderCreated;
  readonly queueGroupName: string = QueueGroups.Expiration;

  /** One lane per order: its events in order, other orders' alongside (the order whose expiry it schedules). */
  protected override orderingKey(data: OrderCreatedEvent['data']): string {
    return data.id;
  }
  // The one way this handler fails is Redis being away, which passes. Dead-lettering would
  // leave the order reserved for good, so it gets ~5 min of redeliveries (ackWait 5 s).
  override maxAttempts = 60;

  constructor(
    bus: EventBus,
    logger: Logger,
    private readonly queue: Queue<ExpirationJobData>,
  ) {
    super(bus, logger);
  }

  async onMessage(data: OrderCreatedEvent['data'], ctx: MessageContext): Promise<void> {
    // A hold that already ran out (the message waited on the bus) fires at once.
    const delay = Math.max(0, Date.parse(data.expiresAt) - Date.now());
    const job = await this.queue.add(
      EXPIRE_ORDER_JOB,
      { orderId: data.id, requestId: ctx.requestId },
      { jobId: expirationJobId(data.id), delay },
    );
    ctx.logger.info({ orderId: data.id, jobId: job.id, delayMs: delay }, 'order expiration scheduled');
  }
}
