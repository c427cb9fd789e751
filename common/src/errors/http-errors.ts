import { CustomError, SerializedError } from './custom-error';

/** 400 with one message, optionally naming the field it is about. */
export class BadRequestError extends CustomError {
  readonly statusCode = 400;
  constructor(message: string, readonly field?: string) {
    super(message);
  }
  serializeErrors(): SerializedError[] {
    return [this.field ? { message: this.message, field: this.field } : { message: this.message }];
  }
}

/** 400 with one entry per invalid field (express-validator or schema failures). */
export class RequestValidationError extends CustomError {
  readonly statusCode = 400;
  constructor(readonly fieldErrors: SerializedError[]) {
    super('Invalid request parameters');
  }
  serializeErrors(): SerializedError[] {
    return this.fieldErrors;
  }
}

/** 401: not signed in, or not the owner of the resource. */
export class NotAuthorizedError extends CustomError {
  readonly statusCode = 401;
  constructor() {
    super('Not authorized');
  }
  serializeErrors(): SerializedError[] {
    return [{ message: 'Not authorized' }];
  }
}

/** 402: the payment provider refused the card; the message is the provider's own. */
export class PaymentRequiredError extends CustomError {
  readonly statusCode = 402;
  serializeErrors(): SerializedError[] {
    return [{ message: this.message }];
  }
}

/** 404: unknown resource, unknown route, or an id that cannot exist. */
export class NotFoundError extends CustomError {
  readonly statusCode = 404;
  constructor() {
    super('Not Found');
  }
  serializeErrors(): SerializedError[] {
    return [{ message: 'Not Found' }];
  }
}

/** 413: the body is larger than the service accepts. */
export class PayloadTooLargeError extends CustomError {
  readonly statusCode = 413;
  constructor() {
    super('Request body is too large');
  }
  serializeErrors(): SerializedError[] {
    return [{ message: this.message }];
  }
}

/** 429: too many attempts; `retryAfterSeconds` goes into the Retry-After header. */
export class TooManyRequestsError extends CustomError {
  readonly statusCode = 429;
  constructor(readonly retryAfterSeconds: number, message = 'Too many attempts, try again later') {
    super(message);
  }
  serializeErrors(): SerializedError[] {
    return [{ message: this.message }];
  }
}

/** 403: the request is refused whoever sends it (a cross-site request). */
export class ForbiddenError extends CustomError {
  readonly statusCode = 403;
  constructor(message = 'Forbidden') {
    super(message);
  }
  serializeErrors(): SerializedError[] {
    return [{ message: this.message }];
  }
}

/** 409: the request conflicts with the resource's current state (e.g. a payment in flight). */
export class ConflictError extends CustomError {
  readonly statusCode = 409;
  serializeErrors(): SerializedError[] {
    return [{ message: this.message }];
  }
}

/** 415: a state-changing request whose body is not JSON. */
export class UnsupportedMediaTypeError extends CustomError {
  readonly statusCode = 415;
  constructor(message = 'Content-Type must be application/json') {
    super(message);
  }
  serializeErrors(): SerializedError[] {
    return [{ message: this.message }];
  }
}

/**
 * 503: a dependency (database, Redis, Stripe, hashing capacity) cannot serve this request
 * right now; `retryAfterSeconds` goes into the Retry-After header.
 */
export class ServiceUnavailableError extends CustomError {
  readonly statusCode = 503;
  constructor(
    message = 'Service unavailable',
    readonly retryAfterSeconds = 1,
  ) {
    super(message);
  }
  serializeErrors(): SerializedError[] {
    return [{ message: this.message }];
  }
}
