/**
 * Typed domain errors. Libraries throw these; the HTTP layer maps each `code`
 * to a status, so domain code never needs to know about HTTP.
 */
export type DomainErrorCode =
  | 'BAD_REQUEST'
  | 'VALIDATION_FAILED'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'TEMPORARILY_UNAVAILABLE'
  | 'TOO_MANY_REQUESTS'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN';

export interface ErrorDetail {
  path: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class BadRequestError extends DomainError {
  constructor(message: string, details?: ErrorDetail[], options?: { cause?: unknown }) {
    super('BAD_REQUEST', message, details, options);
  }
}

export class ValidationError extends DomainError {
  constructor(message: string, details: ErrorDetail[]) {
    super('VALIDATION_FAILED', message, details);
  }
}

export class NotFoundError extends DomainError {
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}

export class ConflictError extends DomainError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONFLICT', message, undefined, options);
  }
}

export class PayloadTooLargeError extends DomainError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('PAYLOAD_TOO_LARGE', message, undefined, options);
  }
}

/** The caller is not authenticated: no verified identity reached the code that needs one. */
export class UnauthorizedError extends DomainError {
  constructor(message: string) {
    super('UNAUTHORIZED', message);
  }
}

/** The caller is authenticated but may not do this. */
export class ForbiddenError extends DomainError {
  constructor(message: string) {
    super('FORBIDDEN', message);
  }
}

/** A dependency throttled or is down; the caller may retry. */
export class TemporarilyUnavailableError extends DomainError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('TEMPORARILY_UNAVAILABLE', message, undefined, options);
  }
}

/** The caller has too much under way (e.g. pending uploads): it may retry after `retryAfterSeconds`. */
export class TooManyRequestsError extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super('TOO_MANY_REQUESTS', message);
  }
}

export const isDomainError = (error: unknown): error is DomainError => error instanceof DomainError;

/**
 * A configuration value the function cannot run without. Missing config is a
 * deployment bug, not a client error: it surfaces as a 500 / failed record.
 */
export const requiredEnv = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
