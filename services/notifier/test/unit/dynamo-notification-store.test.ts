import type { Table } from '@platform/dynamo';
import { ConflictError } from '@platform/errors';
import { DynamoNotificationStore, RELEASED } from '../../src/adapters/dynamo-notification-store';

// notifier's role (serverless.yml) grants dynamodb:PutItem, GetItem and UpdateItem on its table, nothing else.
// A fake Table with only those calls: using any other (DeleteItem) fails here as it would in AWS.
const roleOnlyTable = () => {
  const calls: Array<{ action: string; input: unknown }> = [];
  const table = {
    put: async (input: unknown) => void calls.push({ action: 'PutItem', input }),
    get: async () => undefined,
    update: async (input: unknown) => void calls.push({ action: 'UpdateItem', input }),
  };
  return { calls, table: table as unknown as Table };
};

describe('DynamoNotificationStore', () => {
  it('releases a claim with a conditional UpdateItem that makes it stale, within the role', async () => {
    const { calls, table } = roleOnlyTable();
    await new DynamoNotificationStore(table).release('event-1', 1234);
    expect(calls).toEqual([
      {
        action: 'UpdateItem',
        input: expect.objectContaining({
          UpdateExpression: 'SET claimedAt = :released',
          ConditionExpression: '#status = :sending AND claimedAt = :claimedAt',
          ExpressionAttributeValues: { ':sending': 'SENDING', ':claimedAt': 1234, ':released': RELEASED },
        }),
      },
    ]);
  });

  it('leaves a claim that is no longer its own alone', async () => {
    const table = { update: () => Promise.reject(new ConflictError('changed')) } as unknown as Table;
    await expect(new DynamoNotificationStore(table).release('event-1', 1234)).resolves.toBeUndefined();
  });
});
