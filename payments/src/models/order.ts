import mongoose, { Schema } from 'mongoose';
import { OrderStatus } from '@ticketing/common';

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
