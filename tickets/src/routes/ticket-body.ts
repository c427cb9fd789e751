import { body } from 'express-validator';
import { MAX_PRICE, MAX_TITLE_LENGTH } from '../models/ticket';

const DECIMAL = /^\s*\d+(\.\d+)?\s*$/;

/**
 * A price as JSON number or a decimal string (the GitTix client posts its form field as
 * text), rounded to cents: payments charges Math.round(price * 100), so what we store is
 * exactly what is charged, and 0.004 is refused rather than sold for nothing.
 */
function toCents(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && DECIMAL.test(value) ? Number(value) : NaN;
  return Number.isFinite(n) ? Math.round(n * 100) / 100 : undefined;
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
  body('price', 'Price must be greater than 0')
    .custom((v) => (toCents(v) ?? 0) > 0)
    .bail()
    .customSanitizer(toCents)
    .custom((v: number) => v <= MAX_PRICE)
    .withMessage(`Price must be at most ${MAX_PRICE}`),
];
