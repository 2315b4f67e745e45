import { DeadlineExceededError } from '@platform/observability';
import {
  ConflictError,
  PayloadTooLargeError,
  TemporarilyUnavailableError,
  NotFoundError,
} from '@platform/errors';
import { compositeKey, entityKey, mapDynamoError, TransactionCancelledError, withoutKeys } from '../src';

const sdkError = (name: string, message = name, extra: object = {}) =>
  Object.assign(new Error(message), { name, ...extra });

describe('keys', () => {
  it('builds entity keys', () => {
    expect(entityKey('ITEM', 'abc')).toEqual({ pk: 'ITEM#abc', sk: 'ITEM' });
    expect(compositeKey('ORDER', 'x', 3)).toBe('ORDER#x#3');
  });

  it('refuses parts that could collide with the separator', () => {
    expect(() => compositeKey('ITEM', 'a#b')).toThrow(/must not contain/);
    expect(() => compositeKey('ITEM', '')).toThrow(/non-empty/);
  });

  it('strips storage keys from records', () => {
    expect(withoutKeys({ pk: 'a', sk: 'b', gsi1pk: 'c', gsi1sk: 'd', id: '1' })).toEqual({ id: '1' });
  });
});

describe('mapDynamoError', () => {
  it('maps a failed condition to a conflict', () => {
    expect(mapDynamoError(sdkError('ConditionalCheckFailedException'))).toBeInstanceOf(ConflictError);
  });

  it('maps a cancelled transaction with its per-item reasons', () => {
    const mapped = mapDynamoError(
      sdkError('TransactionCanceledException', 'cancelled', {
        CancellationReasons: [{ Code: 'None' }, { Code: 'ConditionalCheckFailed' }],
      }),
    ) as TransactionCancelledError;
    expect(mapped).toBeInstanceOf(TransactionCancelledError);
    expect(mapped.code).toBe('CONFLICT');
    expect(mapped.retryable).toBe(false);
    expect(mapped.reasons).toEqual(['None', 'ConditionalCheckFailed']);
    expect(mapped.failedCondition(1)).toBe(true);
    expect(mapped.failedCondition(0)).toBe(false);
    expect(mapped.message).not.toMatch(/ConditionalCheckFailed/);
  });

  it('maps a transaction cancelled by a concurrent one to a retryable, temporary error', () => {
    const mapped = mapDynamoError(
      sdkError('TransactionCanceledException', 'cancelled', { CancellationReasons: [{ Code: 'TransactionConflict' }, { Code: 'None' }] }),
    ) as TransactionCancelledError;
    expect(mapped.code).toBe('TEMPORARILY_UNAVAILABLE');
    expect(mapped.retryable).toBe(true);
    expect(mapped.message).not.toMatch(/TransactionConflict/);
  });

  it.each(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded', 'TransactionConflictException'])(
    'maps %s to a retryable error',
    (name) => {
      expect(mapDynamoError(sdkError(name))).toBeInstanceOf(TemporarilyUnavailableError);
    },
  );

  it.each([
    ['a refused connection', sdkError('Error', 'connect ECONNREFUSED 127.0.0.1:8000', { code: 'ECONNREFUSED' })],
    ['a reset connection', sdkError('Error', 'socket hang up', { code: 'ECONNRESET' })],
    ['a request timeout', sdkError('TimeoutError', 'Connection timed out after 1000 ms')],
    ['a call given up at the invocation’s deadline', new DeadlineExceededError()],
  ])('maps %s (the store unreachable, SDK retries spent) to a temporary error that names nothing', (_, error) => {
    const mapped = mapDynamoError(error);
    expect(mapped).toBeInstanceOf(TemporarilyUnavailableError);
    expect((mapped as Error).message).toBe('The data store cannot be reached, try again');
  });

  it('maps an oversized item to 413', () => {
    expect(mapDynamoError(sdkError('ValidationException', 'Item size has exceeded the maximum allowed size'))).toBeInstanceOf(
      PayloadTooLargeError,
    );
  });

  it('leaves unknown errors and domain errors alone', () => {
    const unknown = sdkError('ResourceNotFoundException');
    const domain = new NotFoundError('x');
    expect(mapDynamoError(unknown)).toBe(unknown);
    expect(mapDynamoError(domain)).toBe(domain);
    expect(mapDynamoError('text')).toBe('text');
  });
});
