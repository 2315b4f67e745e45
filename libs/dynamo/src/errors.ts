import {
  ConflictError,
  DomainError,
  PayloadTooLargeError,
  TemporarilyUnavailableError,
} from '@platform/errors';

/**
 * A cancelled transaction, with why each item failed, in request order
 * ("None" for the ones that did not). A failed condition makes it a
 * conflict (409); anything else (a concurrent transaction on the same item,
 * throttling) is temporary (503) and worth retrying. The message never
 * names the reasons: it may reach a client.
 */
export class TransactionCancelledError extends DomainError {
  constructor(readonly reasons: string[], options?: { cause?: unknown }) {
    const conditionFailed = reasons.includes('ConditionalCheckFailed');
    super(
      conditionFailed ? 'CONFLICT' : 'TEMPORARILY_UNAVAILABLE',
      conditionFailed ? 'The request conflicts with the current state' : 'The data store is busy, try again',
      undefined,
      options,
    );
  }

  /** True when the item at `index` failed its condition expression. */
  failedCondition(index: number): boolean {
    return this.reasons[index] === 'ConditionalCheckFailed';
  }

  /** True when no condition failed: running the same transaction again may succeed. */
  get retryable(): boolean {
    return this.code === 'TEMPORARILY_UNAVAILABLE';
  }
}

const RETRYABLE = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TransactionInProgressException',
  // A single write that met a transaction in progress on the same item.
  'TransactionConflictException',
]);

/**
 * The store could not be reached at all (after the SDK's own retries): the
 * connection was refused, reset or timed out, or it did not answer before
 * the invocation's deadline (DeadlineExceededError, @platform/observability).
 * A client may retry later.
 */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const isUnreachable = (error: Error): boolean =>
  UNREACHABLE_CODES.has(String((error as { code?: unknown }).code)) || error.name === 'TimeoutError' || error.name === 'DeadlineExceededError';

/**
 * Turns an SDK error into a typed domain error where there is one, so callers
 * can branch on meaning instead of on AWS error names. Anything else is
 * returned unchanged: it is a bug or a misconfiguration, not a client error.
 */
export const mapDynamoError = (error: unknown): unknown => {
  if (error instanceof DomainError || !(error instanceof Error)) return error;
  const options = { cause: error };
  switch (error.name) {
    case 'ConditionalCheckFailedException':
      return new ConflictError('The item was changed or does not exist', options);
    case 'TransactionCanceledException': {
      const reasons = (error as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? [];
      return new TransactionCancelledError(
        reasons.map((reason) => reason.Code ?? 'None'),
        options,
      );
    }
    case 'ValidationException':
      if (/size has exceeded|item size/i.test(error.message)) {
        return new PayloadTooLargeError('The item is larger than the store accepts', options);
      }
      return error;
    default:
      if (RETRYABLE.has(error.name)) return new TemporarilyUnavailableError('The data store is busy, try again', options);
      if (isUnreachable(error)) return new TemporarilyUnavailableError('The data store cannot be reached, try again', options);
      return error;
  }
};

/** Runs an SDK call and rethrows what fails as a domain error. */
export const mappingErrors = async <T>(call: () => Promise<T>): Promise<T> => {
  try {
    return await call();
  } catch (error) {
    throw mapDynamoError(error);
  }
};
