import { isDomainError, TooManyRequestsError, type DomainErrorCode, type ErrorDetail } from '@platform/errors';

export interface ErrorBody {
  error: { code: string; message: string; details?: ErrorDetail[] };
}

const STATUS_BY_CODE: Record<DomainErrorCode, number> = {
  BAD_REQUEST: 400,
  VALIDATION_FAILED: 422,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  TEMPORARILY_UNAVAILABLE: 503,
  TOO_MANY_REQUESTS: 429,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
};

export interface HttpError {
  statusCode: number;
  body: ErrorBody;
  /** False for bugs and misconfiguration: those are logged in full and hidden from the client. */
  expected: boolean;
  /** When the client may retry (a 429's Retry-After), if the error says. */
  retryAfterSeconds?: number;
}

/** Maps any thrown value to the one error shape clients see. Never exposes a stack or an internal message. */
export const toHttpError = (error: unknown): HttpError => {
  if (isDomainError(error)) {
    return {
      statusCode: STATUS_BY_CODE[error.code],
      body: { error: { code: error.code, message: error.message, ...(error.details && { details: error.details }) } },
      expected: true,
      ...(error instanceof TooManyRequestsError && { retryAfterSeconds: error.retryAfterSeconds }),
    };
  }
  return {
    statusCode: 500,
    body: { error: { code: 'INTERNAL', message: 'Internal server error' } },
    expected: false,
  };
};
