import { correlationAssignment, correlationStamp, TransactionCancelledError, withoutKeys, type Table, type TransactItems } from '@platform/dynamo';
import { ConflictError } from '@platform/errors';
import type { Decision, IdempotencyRecord, Order, OrderStore } from '../domain';
import { idempotencyKey, orderKey } from './orders-table';

const KEY_WRITE = 1;

/**
 * Orders in the orders table. Each write of an order row carries the flow's
 * correlation id (correlationStamp), which the outbox puts on the event the
 * write becomes.
 */
export class DynamoOrderStore implements OrderStore {
  constructor(private readonly table: Table) {}

  async create(order: Order, idempotency?: IdempotencyRecord): Promise<'CREATED' | 'KEY_TAKEN'> {
    const writes: TransactItems = [
      {
        Put: {
          TableName: this.table.name,
          Item: { ...orderKey(order.id), ...order, ...correlationStamp() },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ];
    if (idempotency) {
      const { key, ...record } = idempotency;
      writes.push({
        Put: {
          TableName: this.table.name,
          Item: { ...idempotencyKey(key), ...record },
          // A key whose expiry has passed may be taken again even before TTL deletes it.
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
          ExpressionAttributeValues: { ':now': Math.floor(Date.parse(order.createdAt) / 1000) },
        },
      });
    }
    try {
      await this.table.transactWriteRetrying(writes);
      return 'CREATED';
    } catch (error) {
      if (idempotency && error instanceof TransactionCancelledError && error.failedCondition(KEY_WRITE)) return 'KEY_TAKEN';
      throw error;
    }
  }

  async findIdempotencyKey(key: string): Promise<IdempotencyRecord | undefined> {
    const record = await this.table.get<Omit<IdempotencyRecord, 'key'>>(idempotencyKey(key), true);
    return record && { key, orderId: record.orderId, requestHash: record.requestHash, expiresAt: record.expiresAt };
  }

  // Consistent: an order accepted a moment ago must not look missing.
  async get(id: string): Promise<Order | undefined> {
    const record = await this.table.get<Record<string, unknown>>(orderKey(id), true);
    return record && withoutKeys<Order>(record);
  }

  async decide(id: string, decision: Decision, at: string): Promise<boolean> {
    const flow = correlationAssignment();
    try {
      await this.table.update({
        Key: orderKey(id),
        UpdateExpression: `SET #status = :status, updatedAt = :at${decision.status === 'REJECTED' ? ', reason = :reason' : ''}${flow.clause}`,
        ConditionExpression: '#status = :pending',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':status': decision.status,
          ':pending': 'PENDING',
          ':at': at,
          ...(decision.status === 'REJECTED' && { ':reason': decision.reason }),
          ...flow.values,
        },
      });
      return true;
    } catch (error) {
      if (error instanceof ConflictError) return false;
      throw error;
    }
  }
}
