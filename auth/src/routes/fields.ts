import { body } from 'express-validator';

/**
 * The email rule shared by signup and signin. Trimming and lower-casing here means the
 * stored address and every lookup compare the same string ("  A@B.com " is a@b.com).
 * `isString` comes first so an array or object never reaches a query.
 */
export const emailField = () => body('email', 'Email must be valid').isString().bail().trim().toLowerCase().isEmail();

/** The body of both routes once validated: plain, normalised strings. */
export interface Credentials {
  email: string;
  password: string;
}
