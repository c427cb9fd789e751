import { body } from 'express-validator';
import { MAX_PRICE, MAX_TITLE_LENGTH, MIN_PRICE } from '../models/ticket';

const DECIMAL = /^\s*\d+(\.\d+)?\s*$/;
/** The shortest decimal text of a number (`String`) has at most 2 decimals: exact to the cent. */
const TO_THE_CENT = /^\d+(\.\d{1,2})?$/;

/**
 * A price as JSON number or a decimal string (the GitTix client posts its form field as
 * text); NaN for anything else (hex, exponents, signs, arrays, null).
 */
function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  return typeof value === 'string' && DECIMAL.test(value) ? Number(value) : NaN;
}

/**
 * Dollars to the cent, 0.50 to 999,999.99. No rounding: payments charges
 * Math.round(price * 100) cents, so a price with sub-cent digits is refused rather than
 * silently changed. Checked in this order, one message each.
 */
function priceProblem(value: unknown): string | undefined {
  const n = toNumber(value);
  if (!Number.isFinite(n) || n <= 0) return 'Price must be greater than 0';
  if (n < MIN_PRICE) return `Price must be at least ${MIN_PRICE.toFixed(2)}`;
  if (n > MAX_PRICE) return `Price must be at most ${MAX_PRICE}`;
  if (!TO_THE_CENT.test(String(n))) return 'Price must have at most 2 decimals';
  return undefined;
}

/** The body of POST and PUT: what a seller sets on a listing. */
export const ticketBodyRules = [
  // typeof first: express-validator's standard validators would accept ["a"] item by item.
  body('title', 'Title is required')
    .custom((v) => typeof v === 'string' && v.trim().length > 0)
    .bail()
    .trim()
    .isLength({ max: MAX_TITLE_LENGTH })
    .withMessage(`Title must be at most ${MAX_TITLE_LENGTH} characters`),
  body('price')
    .custom((v) => {
      const problem = priceProblem(v);
      if (problem) throw new Error(problem);
      return true;
    })
    .bail()
    .customSanitizer(toNumber),
];
