import mongoose, { Schema } from 'mongoose';
import { outboxPlugin, OutboxEntry } from '@ticketing/common';

/**
 * pending → succeeded | failed; succeeded → refunding (the order was cancelled); pending →
 * refunding (the charge landed after the cancel); refunding → refunded. failed → pending
 * again for a new attempt with a new idempotency key.
 */
export enum PaymentStatus {
  /** Recorded before the Stripe call; the outcome is not known yet. */
  Pending = 'pending',
  Succeeded = 'succeeded',
  /** Stripe refused the charge (or the order was cancelled before it was sent). */
  Failed = 'failed',
  /** The charge belongs to a cancelled order: a refund is owed and being made. */
  Refunding = 'refunding',
  Refunded = 'refunded',
}

/** Exactly what is sent to `charges.create`, stored so a replay sends the same request. */
export interface ChargeRequest {
  amount: number;
  currency: string;
  source: string;
  metadata: { orderId: string };
}

export interface FailedAttempt {
  paymentId: string;
  idempotencyKey: string;
  reason: string;
}

/**
 * The payment of one order, keyed by the order id: every request, listener and replay
 * finds it by `_id`. It is written before Stripe is called and completed from its answer.
 * While pending or refunding it also has an OpenPayment marker, which the reconciler reads.
 */
export interface PaymentAttrs {
  /** The order id. */
  _id: string;
  /** The order id again; its unique index also finds payments stored before `_id` was the order id. */
  orderId: string;
  /** Id of the current attempt: what POST answers and the payment:* events carry. */
  paymentId: string;
  /** 1, then +1 for each new attempt after a definitive failure. */
  attempt: number;
  status: PaymentStatus;
  /** The order id for attempt 1, `<orderId>:<n>` after that. */
  idempotencyKey: string;
  charge: ChargeRequest;
  /** Integer cents, exactly as charged. */
  amount: number;
  stripeId?: string;
  failureReason?: string;
  failedAttempts: FailedAttempt[];
  /** Set by order:cancelled: a charge that lands now is refunded instead of accepted. */
  orderCancelled: boolean;
  refund?: { id: string; amount: number };
  createdAt: Date;
  updatedAt: Date;
  outbox: OutboxEntry[];
}

const paymentSchema = new Schema<PaymentAttrs>(
  {
    _id: { type: String, required: true },
    orderId: { type: String, required: true, unique: true },
    paymentId: { type: String, required: true },
    attempt: { type: Number, required: true, min: 1 },
    status: { type: String, required: true, enum: Object.values(PaymentStatus) },
    idempotencyKey: { type: String, required: true },
    charge: { type: Schema.Types.Mixed, required: true },
    amount: { type: Number, required: true, min: 0 },
    stripeId: { type: String },
    failureReason: { type: String },
    failedAttempts: {
      type: [{ paymentId: String, idempotencyKey: String, reason: String, _id: false }],
      default: [],
    },
    orderCancelled: { type: Boolean, required: true, default: false },
    refund: { type: { id: String, amount: Number, _id: false }, required: false },
  },
  { versionKey: false, timestamps: true },
);
paymentSchema.plugin(outboxPlugin);

export const Payment = mongoose.model<PaymentAttrs>('Payment', paymentSchema);

/** Pending or refunding: the payment still needs Stripe's answer. */
export const isOpen = (status: PaymentStatus | undefined) =>
  status === PaymentStatus.Pending || status === PaymentStatus.Refunding;

export const idempotencyKeyOf = (orderId: string, attempt: number) => (attempt === 1 ? orderId : `${orderId}:${attempt}`);
