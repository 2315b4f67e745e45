import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Table, TransactionCancelledError } from '../src';

// DynamoDB Local never cancels a transaction for contention, so the retry
// path is driven here by a client that answers like DynamoDB does under load.
const cancelled = (...codes: string[]) =>
  Object.assign(new Error('Transaction cancelled'), {
    name: 'TransactionCanceledException',
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

const clientAnswering = (...answers: Array<Error | undefined>) => {
  const send = jest.fn(async () => {
    const answer = answers.shift();
    if (answer) throw answer;
    return {};
  });
  return { client: { send } as unknown as DynamoDBDocumentClient, send };
};

const write = [{ Put: { TableName: 't', Item: { pk: 'a', sk: 'b' } } }];

describe('Table.transactWriteRetrying', () => {
  it('runs a transaction cancelled by a concurrent one again until it goes through', async () => {
    const { client, send } = clientAnswering(cancelled('TransactionConflict'), cancelled('None', 'TransactionConflict'), undefined);
    await new Table('t', client).transactWriteRetrying(write, { baseDelayMs: 1 });
    expect(send).toHaveBeenCalledTimes(3);
  });

  it('gives up after the given attempts with a retryable error (the queue retries later)', async () => {
    const { client, send } = clientAnswering(...Array.from({ length: 5 }, () => cancelled('TransactionConflict')));
    const error = await new Table('t', client).transactWriteRetrying(write, { attempts: 3, baseDelayMs: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionCancelledError);
    expect((error as TransactionCancelledError).retryable).toBe(true);
    expect(send).toHaveBeenCalledTimes(3);
  });

  it('does not retry a failed condition', async () => {
    const { client, send } = clientAnswering(cancelled('ConditionalCheckFailed', 'None'));
    const error = await new Table('t', client).transactWriteRetrying(write, { baseDelayMs: 1 }).catch((e: unknown) => e);
    expect((error as TransactionCancelledError).failedCondition(0)).toBe(true);
    expect(send).toHaveBeenCalledTimes(1);
  });
});
