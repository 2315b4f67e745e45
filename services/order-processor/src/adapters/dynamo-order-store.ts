import {
  CORRELATION_ID,
  correlationAssignment,
  correlationStamp,
  TransactionCancelledError,
  withoutKeys,
  type Table,
  type TransactItems,
} from '@platform/dynamo';
import { ConflictError } from '@platform/errors';
import type { Decision, IdempotencyRecord, Order, OrderStore, PendingOrder } from '../domain';
import { idempotencyKey, orderKey, PENDING_INDEX, pendingShardOf, pendingShards } from './orders-table';

const KEY_WRITE = 1;

/**
 * Orders in the orders table. Each write of an order row carries the flow's
 * correlation id (correlationStamp), which the outbox puts on the event the
 * write becomes. A PENDING order also carries its shard of the pending index
 * (orders-table.ts), which its decision removes in the same update.
 */
export class DynamoOrderStore implements OrderStore {
  constructor(private readonly table: Table) {}

  async create(order: Order, idempotency?: IdempotencyRecord): Promise<'CREATED' | 'KEY_TAKEN'> {
    const writes: TransactItems = [
      {
        Put: {
          TableName: this.table.name,
          Item: { ...orderKey(order.id), ...order, [PENDING_INDEX.partition]: pendingShardOf(order.id), ...correlationStamp() },
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
    if (!record) return undefined;
    const { [PENDING_INDEX.partition]: _shard, ...order } = record;
    return withoutKeys<Order>(order);
  }

  async decide(id: string, decision: Decision, at: string): Promise<boolean> {
    const flow = correlationAssignment();
    try {
      await this.table.update({
        Key: orderKey(id),
        // Out of the pending index in the same write that decides it.
        UpdateExpression: `SET #status = :status, updatedAt = :at${decision.status === 'REJECTED' ? ', reason = :reason' : ''}${flow.clause} REMOVE #shard`,
        ConditionExpression: '#status = :pending',
        ExpressionAttributeNames: { '#status': 'status', '#shard': PENDING_INDEX.partition },
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

  /** Queries every shard of the pending index (eventually consistent: an order decided a moment ago may still show). */
  async pendingCreatedBefore(createdBefore: string): Promise<PendingOrder[]> {
    const shards = await Promise.all(pendingShards().map((shard) => this.pendingInShard(shard, createdBefore)));
    return shards.flat().sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  private async pendingInShard(shard: string, createdBefore: string): Promise<PendingOrder[]> {
    const items = await this.table.queryAll<Record<string, unknown>>({
      indexName: PENDING_INDEX.name,
      keyCondition: '#shard = :shard AND #createdAt < :before',
      names: { '#shard': PENDING_INDEX.partition, '#createdAt': PENDING_INDEX.sort },
      values: { ':shard': shard, ':before': createdBefore },
    });
    return items.map((item) => {
      const correlationId = item[CORRELATION_ID] as string | undefined;
      return { id: String(item.id), createdAt: String(item.createdAt), ...(correlationId && { correlationId }) };
    });
  }
}
