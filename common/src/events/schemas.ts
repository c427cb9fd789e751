import { z } from 'zod';
import { OrderStatus, Subjects } from './subjects';
import type { AnyEvent, EventData, EventEnvelope } from './types';

const id = z.string().min(1).max(64);
const version = z.number().int().min(0);
const price = z.number().finite().min(0);
/** ISO 8601: events carry dates as strings, never as Date objects. */
const isoDate = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO date');

/**
 * One schema per subject, the only definition of each payload: the payload types
 * (`TicketCreatedEvent['data']`, …) are inferred from these, and a listener checks a
 * payload against its schema before it touches its database, so a malformed message is
 * refused whole, never half-applied. `strict` is not used: a newer publisher may add fields
 * that older listeners ignore.
 */
export const eventSchemas = {
  [Subjects.TicketCreated]: z.object({ id, version, title: z.string().min(1), price, userId: id }),
  [Subjects.TicketUpdated]: z.object({
    id,
    version,
    title: z.string().min(1),
    price,
    userId: id,
    /** Set while an order holds the ticket. */
    orderId: id.optional(),
  }),
  [Subjects.OrderCreated]: z.object({
    id,
    version,
    status: z.enum(OrderStatus),
    userId: id,
    expiresAt: isoDate,
    ticket: z.object({ id, price }),
  }),
  [Subjects.OrderCancelled]: z.object({ id, version, ticket: z.object({ id }) }),
  [Subjects.ExpirationComplete]: z.object({ orderId: id }),
  [Subjects.PaymentCreated]: z.object({ id, orderId: id, stripeId: z.string().min(1) }),
  [Subjects.PaymentStarted]: z.object({
    id,
    orderId: id,
    /** The latest moment the charge can still be settled by the request. */
    holdUntil: isoDate,
  }),
  [Subjects.PaymentFailed]: z.object({ id, orderId: id, reason: z.string().min(1).max(500) }),
  [Subjects.PaymentRefunded]: z.object({
    id,
    orderId: id,
    stripeId: z.string().min(1),
    refundId: z.string().min(1),
    /** In the smallest currency unit (cents), as Stripe reports it. */
    amount: z.number().int().min(0),
  }),
} satisfies { [S in Subjects]: z.ZodType };

/** The metadata of every envelope; `EventEnvelope['meta']` is inferred from it. */
export const eventMetaSchema = z.object({
  publishedAt: z.string(),
  /** The request (or incoming event) that caused the event: logs of both share it. */
  requestId: z.string().optional(),
  /** The service that published it (stamped by `createEnvelope`). */
  source: z.string().optional(),
  /** The W3C trace context of the request or handler that caused it. */
  traceparent: z.string().max(128).optional(),
  tracestate: z.string().max(512).optional(),
});

/**
 * An envelope as it arrives, before its payload is checked against its subject's schema.
 * Lenient where older publishers were: a missing `meta` or `publishedAt` reads as ''.
 */
const wireEnvelopeSchema = z.object({
  id: z.string().min(1),
  subject: z.enum(Subjects),
  data: z.unknown(),
  meta: eventMetaSchema.partial({ publishedAt: true }).default({ publishedAt: '' }),
});

export type ParseResult<E extends AnyEvent> =
  | { ok: true; envelope: EventEnvelope<E> }
  | { ok: false; error: string };

/** Parses raw message text as an envelope of `subject`, checking its payload schema. */
export function parseEnvelope<E extends AnyEvent>(subject: E['subject'], raw: string): ParseResult<E> {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { ok: false, error: 'message is not JSON' };
  }
  const env = wireEnvelopeSchema.safeParse(json);
  if (!env.success) return { ok: false, error: `bad envelope: ${z.prettifyError(env.error)}` };
  if (env.data.subject !== subject) {
    return { ok: false, error: `envelope subject ${env.data.subject} arrived on ${subject}` };
  }
  const data = eventSchemas[subject as Subjects].safeParse(env.data.data);
  if (!data.success) return { ok: false, error: `bad ${subject} payload: ${z.prettifyError(data.error)}` };
  return {
    ok: true,
    envelope: {
      id: env.data.id,
      subject,
      data: data.data as E['data'],
      meta: { publishedAt: env.data.meta.publishedAt ?? '', ...env.data.meta },
    },
  };
}

/** Throws when `data` is not a valid payload of `subject`: publishers check before storing. */
export function assertEventData<S extends Subjects>(subject: S, data: unknown): EventData<S> {
  const parsed = eventSchemas[subject].safeParse(data);
  if (!parsed.success) throw new Error(`invalid ${subject} payload: ${z.prettifyError(parsed.error)}`);
  return parsed.data as EventData<S>;
}
