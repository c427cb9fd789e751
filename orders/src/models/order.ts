import mongoose, { HydratedDocument, Schema } from 'mongoose';
import { isObjectId, OrderStatus, OutboxEntry, outboxPlugin, PublishMeta } from '@ticketing/common';
import { OrderCancelledPublisher } from '../events/publishers/order-cancelled-publisher';

/** What the buyer reserved, as it was when the order was placed. */
export interface OrderTicket {
  id: string;
  title: string;
  price: number;
  version: number;
}

export interface OrderAttrs {
  userId: string;
  status: OrderStatus;
  expiresAt: Date;
  ticket: OrderTicket;
  /**
   * One ticket, one active order, enforced by a unique index: an active order holds the
   * ticket id here, a cancelled one `released:<order id>`. FerretDB has no partial indexes,
   * so the index covers every order and cancelling moves the value out of the ticket's way.
   */
  ticketLock: string;
  /** 0 on create, +1 on every status change: the compare-and-set token. */
  version: number;
  /** The payment that completed the order, to tell a redelivery from a second charge. */
  paymentId?: string;
  outbox: OutboxEntry[];
  createdAt: Date;
}

export type OrderDoc = HydratedDocument<OrderAttrs>;

const orderSchema = new Schema<OrderAttrs>(
  {
    userId: { type: String, required: true },
    status: { type: String, required: true, enum: Object.values(OrderStatus) },
    expiresAt: { type: Date, required: true },
    ticket: {
      id: { type: String, required: true },
      title: { type: String, required: true },
      price: { type: Number, required: true },
      version: { type: Number, required: true },
    },
    ticketLock: { type: String, required: true, unique: true },
    version: { type: Number, required: true },
    paymentId: { type: String },
  },
  {
    versionKey: false,
    timestamps: { createdAt: true, updatedAt: false },
    // A whitelist: internal fields (ticketLock, paymentId, outbox) never reach a client.
    toJSON: {
      transform: (_doc, ret) => ({
        id: String(ret._id),
        userId: ret.userId,
        status: ret.status,
        expiresAt: ret.expiresAt,
        ticket: { id: ret.ticket.id, title: ret.ticket.title, price: ret.ticket.price, version: ret.ticket.version },
        version: ret.version,
      }),
    },
  },
);
orderSchema.index({ userId: 1, createdAt: -1 });
orderSchema.plugin(outboxPlugin);

export const Order = mongoose.model<OrderAttrs>('Order', orderSchema);

export const releasedLock = (orderId: string) => `released:${orderId}`;

export interface StatusChange {
  status: OrderStatus;
  set?: Partial<OrderAttrs>;
  /** The event stored in the same write, built for the order's new version. */
  event?: (version: number) => OutboxEntry;
}

const MAX_CAS_ATTEMPTS = 10;

/**
 * Moves an order to another status by compare-and-set on its version, the event in the
 * same single-document write. `plan` sees the current order and returns the change, or
 * undefined to leave it as it is. When another writer wins (the buyer cancels while the
 * payment lands), the order is read again and `plan` decides anew. Returns the order as
 * stored afterwards, or null when there is no such order.
 */
export async function changeOrderStatus(
  id: string,
  plan: (order: OrderDoc) => StatusChange | undefined,
): Promise<OrderDoc | null> {
  if (!isObjectId(id)) return null;
  for (let attempt = 1; attempt <= MAX_CAS_ATTEMPTS; attempt++) {
    const order = await Order.findById(id);
    if (!order) return null;
    const change = plan(order);
    if (!change) return order;
    const version = order.version + 1;
    const updated = await Order.findOneAndUpdate(
      { _id: order._id, version: order.version },
      {
        $set: { ...change.set, status: change.status, version },
        ...(change.event && { $push: { outbox: change.event(version) } }),
      },
      { new: true },
    );
    if (updated) return updated;
  }
  throw new Error(`order ${id} kept changing under ${MAX_CAS_ATTEMPTS} attempts to update it`);
}

const CANCELLABLE = new Set<OrderStatus>([OrderStatus.Created, OrderStatus.AwaitingPayment]);

/**
 * Cancels an order unless it is complete or already cancelled, freeing its ticket and
 * storing order:cancelled with the change. A repeat changes and publishes nothing.
 */
export function cancelOrder(id: string, meta: PublishMeta): Promise<OrderDoc | null> {
  return changeOrderStatus(id, (order) =>
    CANCELLABLE.has(order.status)
      ? {
          status: OrderStatus.Cancelled,
          set: { ticketLock: releasedLock(order.id) },
          event: (version) =>
            new OrderCancelledPublisher().toOutbox({ id: order.id, version, ticket: { id: order.ticket.id } }, meta),
        }
      : undefined,
  );
}
