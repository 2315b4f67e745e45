import { createHash, randomUUID } from 'node:crypto';
import { withoutKeys, type Table, TransactionCancelledError, type TransactItems } from '@platform/dynamo';
import { ConflictError, NotFoundError } from '@platform/errors';
import { idempotencyKey, itemKey, orderKey } from './keys';
import type { NewOrder, Order } from './order';

/** How long an Idempotency-Key is remembered (DynamoDB TTL removes it afterwards). */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

interface IdempotencyRecord {
  orderId: string;
  requestHash: string;
  /** Epoch seconds; the table's TTL attribute. */
  expiresAt: number;
}

const hashRequest = (order: NewOrder) =>
  createHash('sha256').update(JSON.stringify([order.itemId, order.quantity, order.customerEmail])).digest('hex');

/**
 * Accepts orders. Accepting only records the order as PENDING: the
 * `order.placed` event is derived from that write by the table's stream
 * (see change-events.ts), so an accepted order is never lost between the
 * write and the publish. order-processor decides it later.
 */
export class OrdersService {
  constructor(
    private readonly table: Table,
    private readonly newId: () => string = randomUUID,
  ) {}

  async place(input: NewOrder, key?: string): Promise<Order> {
    const requestHash = hashRequest(input);
    if (key) {
      const replay = await this.replay(key, requestHash);
      if (replay) return replay;
    }
    // Consistent: an item created a moment ago must not look missing.
    if (!(await this.table.get(itemKey(input.itemId), true))) throw new NotFoundError(`Item ${input.itemId} not found`);

    const now = new Date().toISOString();
    const nowSeconds = Math.floor(Date.now() / 1000);
    const order: Order = { id: this.newId(), ...input, status: 'PENDING', createdAt: now, updatedAt: now };
    const writes: TransactItems = [
      {
        Put: {
          TableName: this.table.name,
          Item: { ...orderKey(order.id), ...order },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ];
    if (key) {
      writes.push({
        Put: {
          TableName: this.table.name,
          Item: {
            ...idempotencyKey(key),
            orderId: order.id,
            requestHash,
            expiresAt: nowSeconds + IDEMPOTENCY_TTL_SECONDS,
          },
          // A key whose expiry has passed may be taken again even before TTL deletes it.
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
          ExpressionAttributeValues: { ':now': nowSeconds },
        },
      });
    }
    try {
      await this.table.transactWriteRetrying(writes);
    } catch (error) {
      // Two requests with the same key raced and the other one won: answer with its order.
      if (key && error instanceof TransactionCancelledError && error.failedCondition(1)) {
        const replay = await this.replay(key, requestHash);
        if (replay) return replay;
      }
      throw error;
    }
    return order;
  }

  async get(id: string, consistentRead = false): Promise<Order> {
    const record = await this.table.get<Record<string, unknown>>(orderKey(id), consistentRead);
    if (!record) throw new NotFoundError(`Order ${id} not found`);
    return withoutKeys<Order>(record);
  }

  /** The order an earlier request with this key created, if any; a different request under the same key is a conflict. */
  private async replay(key: string, requestHash: string): Promise<Order | undefined> {
    const previous = await this.table.get<IdempotencyRecord>(idempotencyKey(key), true);
    // TTL deletes expired keys lazily (up to days late): past its expiry a key is free again.
    if (!previous || previous.expiresAt <= Math.floor(Date.now() / 1000)) return undefined;
    if (previous.requestHash !== requestHash) {
      throw new ConflictError('This Idempotency-Key was already used with a different request');
    }
    return this.get(previous.orderId, true);
  }
}
