export interface SerializedError {
  message: string;
  field?: string;
}

/**
 * Base of every error a route may throw on purpose. The error handler turns it into
 * `{ errors: serializeErrors() }` with `statusCode`; anything else becomes a generic 500.
 */
export abstract class CustomError extends Error {
  abstract readonly statusCode: number;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
    Object.setPrototypeOf(this, new.target.prototype);
  }

  abstract serializeErrors(): SerializedError[];
}
