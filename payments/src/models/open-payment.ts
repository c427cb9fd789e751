import mongoose, { Schema } from 'mongoose';

/**
 * The payments that may still need settling: a marker per order, written before its payment
 * becomes pending (or refunding) and removed after it is settled. The reconciler reads this
 * small collection every few seconds instead of querying the payments collection, which
 * FerretDB would scan in full each time (measured: 1.5 s at 5,000 payments, under the gate
 * that serialises the database). A marker left behind by a crash is harmless: the reconciler
 * finds its payment settled and removes it.
 */
export interface OpenPaymentAttrs {
  /** The order id (= the payment's _id). */
  _id: string;
  /** The attempt that opened it: a settled attempt removes only its own marker. */
  paymentId: string;
  /** Written again when a replay leaves it open, so it waits a full period before the next. */
  openedAt: Date;
}

const openPaymentSchema = new Schema<OpenPaymentAttrs>(
  {
    _id: { type: String, required: true },
    paymentId: { type: String, required: true },
    openedAt: { type: Date, required: true },
  },
  { versionKey: false },
);
// The reconciler's query on MongoDB; the collection stays small either way.
openPaymentSchema.index({ openedAt: 1 });

export const OpenPayment = mongoose.model<OpenPaymentAttrs>('OpenPayment', openPaymentSchema);
