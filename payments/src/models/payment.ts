import mongoose, { Schema, Types } from 'mongoose';
import { outboxPlugin, OutboxEntry } from '@ticketing/common';

export interface PaymentAttrs {
  _id: Types.ObjectId;
  orderId: string;
  stripeId: string;
  /** Integer cents, exactly as charged. */
  amount: number;
  createdAt: Date;
  outbox: OutboxEntry[];
}

const paymentSchema = new Schema<PaymentAttrs>(
  {
    // Unique: two simultaneous submits for one order store one payment; the loser's
    // insert fails with a duplicate key instead of a check-then-save race.
    orderId: { type: String, required: true, unique: true },
    stripeId: { type: String, required: true },
    amount: { type: Number, required: true, min: 0 },
    createdAt: { type: Date, required: true, default: () => new Date() },
  },
  { versionKey: false },
);
paymentSchema.plugin(outboxPlugin);

export const Payment = mongoose.model<PaymentAttrs>('Payment', paymentSchema);
