// Presentation helpers, shared by server and client components.

/** The API takes and returns dollars as a number; we always show two decimals. */
export function formatPrice(price: number): string {
  return `$${price.toFixed(2)}`;
}

/**
 * What the price field shows after blur: a valid number gets two decimals; anything
 * else is left exactly as typed so the API's validation message can point at it.
 */
export function normalizePriceInput(value: string): string {
  const trimmed = withoutThousandsSeparators(value.trim());
  if (!/^\d*\.?\d+$|^\d+\.$/.test(trimmed)) return value;
  return Number(trimmed).toFixed(2);
}

/** The body value of a price field: a number when it is one, else the raw text. */
export function parsePriceInput(value: string): number | string {
  const trimmed = withoutThousandsSeparators(value.trim());
  const n = Number(trimmed);
  return trimmed !== '' && Number.isFinite(n) ? n : value;
}

/** "999,999.99" → "999999.99": only properly grouped commas ("12,50" is not an amount). */
function withoutThousandsSeparators(value: string): string {
  return /^\d{1,3}(,\d{3})+(\.\d*)?$/.test(value) ? value.replace(/,/g, '') : value;
}

/** "9 m 58 s" (or "42 s" under a minute) for a positive number of milliseconds. */
export function formatRemaining(ms: number): string {
  const totalSeconds = Math.max(0, Math.ceil(ms / 1000));
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  return minutes > 0 ? `${minutes} m ${seconds} s` : `${seconds} s`;
}

const STATUS_LABELS: Record<string, string> = {
  created: 'Awaiting payment',
  'awaiting:payment': 'Awaiting payment',
  complete: 'Complete',
  cancelled: 'Cancelled',
};

export function formatOrderStatus(status: string): string {
  return STATUS_LABELS[status] ?? status;
}

/** Integer cents (refund amounts, as Stripe and the payments service count) as dollars. */
export function formatCents(cents: number): string {
  return formatPrice(cents / 100);
}
