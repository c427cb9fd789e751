import mongoose, { Schema } from 'mongoose';

/**
 * A marker per hold that is running: the hold sweeper reads this small collection instead of
 * querying the orders, which FerretDB would read and decode in full on every sweep (measured:
 * 3–5 s per sweep at 20,000 finished orders, the database blocked meanwhile by the gate).
 *
 * Rules that keep it safe:
 * - Written before the order is inserted, so no order exists without its marker. A marker
 *   without an order (the process died between the two writes) is removed by the sweeper.
 * - `endsAt` is never later than the hold's real end: a marker that is early only makes the
 *   sweeper look at the order and set `endsAt` again from it; a late one would let the hold
 *   outlive the 30 s promise. Every write that moves it later re-reads the order afterwards
 *   (see setHoldMarker).
 * - Removed when the order becomes complete or cancelled, best effort: one left behind is
 *   harmless, the sweeper finds its order final and removes it.
 */
export interface ActiveHoldAttrs {
  /** The order's id. */
  _id: string;
  /** When the hold ends: the order's expiresAt, or its holdUntil while a payment extends it. */
  endsAt: Date;
}

const activeHoldSchema = new Schema<ActiveHoldAttrs>(
  {
    _id: { type: String, required: true },
    endsAt: { type: Date, required: true },
  },
  { versionKey: false },
);
// The sweeper's query on real MongoDB; FerretDB reads the (small) collection.
activeHoldSchema.index({ endsAt: 1 });

export const ActiveHold = mongoose.model<ActiveHoldAttrs>('ActiveHold', activeHoldSchema);
