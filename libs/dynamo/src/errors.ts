import {
  ConflictError,
  DomainError,
  PayloadTooLargeError,
  TemporarilyUnavailableError,
} from '@platform/errors';

/** Why each item of a cancelled transaction failed, in request order ("None" for the ones that did not). */
export class TransactionCancelledError extends ConflictError {
  constructor(readonly reasons: string[], options?: { cause?: unknown }) {
    super(`Transaction cancelled: ${reasons.join(', ')}`, options);
  }

  /** True when the item at `index` failed its condition expression. */
  failedCondition(index: number): boolean {
    return this.reasons[index] === 'ConditionalCheckFailed';
  }
}

const RETRYABLE = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TransactionInProgressException',
]);

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
      return RETRYABLE.has(error.name)
        ? new TemporarilyUnavailableError('The data store is busy, try again', options)
        : error;
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
