import type { ApiErrorItem } from './types';

/** A failed API call, carrying the API's own error entries. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errors: ApiErrorItem[],
    /** From a 429/503 answer's Retry-After header (seconds), when it had one. */
    readonly retryAfterSeconds?: number,
  ) {
    super(errors.map((e) => e.message).join('; '));
    this.name = 'ApiError';
  }
}

/** Reads the error shape out of any JSON body; null when it is not that shape. */
export function errorsFromBody(body: unknown): ApiErrorItem[] | null {
  if (typeof body !== 'object' || body === null) return null;
  const errors = (body as { errors?: unknown }).errors;
  if (!Array.isArray(errors) || errors.length === 0) return null;
  const items = errors
    .filter((e): e is { message: string; field?: unknown } => typeof e?.message === 'string')
    .map((e) => (typeof e.field === 'string' ? { message: e.message, field: e.field } : { message: e.message }));
  return items.length > 0 ? items : null;
}

/**
 * Splits errors between the fields a form shows and everything else: an error whose
 * `field` is one of the form's inputs goes next to that input, the rest (no field, or a
 * field the form does not have, e.g. `orderId`) go to the one alert.
 */
export function splitErrors(
  errors: readonly ApiErrorItem[],
  fields: readonly string[],
): { byField: Record<string, string[]>; general: string[] } {
  const byField: Record<string, string[]> = {};
  const general: string[] = [];
  for (const error of errors) {
    if (error.field && fields.includes(error.field)) {
      (byField[error.field] ??= []).push(error.message);
    } else {
      general.push(error.message);
    }
  }
  return { byField, general };
}

/** A Retry-After header in seconds (the HTTP-date form too); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}
