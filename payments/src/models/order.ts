import mongoose, { Schema } from 'mongoose';
import { keepArrivals, OrderStatus } from '@ticketing/common';

/** The payments service's replica of an order: what it needs to decide whether to charge. */
export interface OrderAttrs {
  /** The order's id in the orders service. */
  _id: string;
  userId: string;
  /** In dollars, as on the ticket; charged in integer cents. */
  price: number;
  status: OrderStatus;
  /**
   * End of the hold. Past it the order is being cancelled by expiration, whether or not
   * order:cancelled has arrived yet, so it is not charged. Absent on replicas stored
   * before this field existed.
   */
  expiresAt?: Date;
  version: number;
}

const orderSchema = new Schema<OrderAttrs>(
  {
    // Kept as the string the events carry: any id the orders service sends is findable,
    // and a request naming a malformed id simply finds nothing (404, not a cast error).
    _id: { type: String, required: true },
    userId: { type: String, required: true },
    price: { type: Number, required: true, min: 0 },
    status: { type: String, required: true, enum: Object.values(OrderStatus) },
    expiresAt: { type: Date },
    version: { type: Number, required: true, min: 0 },
  },
  { versionKey: false },
);

export const Order = mongoose.model<OrderAttrs>('Order', orderSchema);

/**
 * A client that pays the moment it has its order (an API client, the bench) names an order
 * that order:created brought a few milliseconds ago: POST /api/payments takes the copy this
 * process inserted instead of reading it back (common keepArrivals). Safe for this replica:
 * its buyer, price and hold end never change, and its status is read again after the
 * attempt is stored, before any charge (the refund rule, payment-processor.ts). An
 * order:cancelled applied here drops the copy; one applied by another replica of payments
 * leaves it at most `forMs` old, and the status read after storing still refuses the charge.
 */
export const KEPT_ORDER_ARRIVALS = { forMs: 10_000, max: 1_000 };
keepArrivals(Order.modelName, KEPT_ORDER_ARRIVALS);
