import { createHash, randomUUID } from 'node:crypto';
import { withoutKeys, type Table, TransactionCancelledError } from '@platform/dynamo';
import { ConflictError, NotFoundError } from '@platform/errors';
import { idempotencyKey, itemKey, orderKey } from './keys';
import type { NewOrder, Order } from './order';

/** How long an Idempotency-Key is remembered (DynamoDB TTL removes it afterwards). */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

interface IdempotencyRecord {
  orderId: string;
  requestHash: string;
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
    if (!(await this.table.get(itemKey(input.itemId)))) throw new NotFoundError(`Item ${input.itemId} not found`);

    const now = new Date().toISOString();
    const order: Order = { id: this.newId(), ...input, status: 'PENDING', createdAt: now, updatedAt: now };
    const writes = [
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
            expiresAt: Math.floor(Date.now() / 1000) + IDEMPOTENCY_TTL_SECONDS,
          } as never,
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
    }
    try {
      await this.table.transactWrite(writes);
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

  async get(id: string): Promise<Order> {
    const record = await this.table.get<Record<string, unknown>>(orderKey(id));
    if (!record) throw new NotFoundError(`Order ${id} not found`);
    return withoutKeys<Order>(record);
  }

  /** The order an earlier request with this key created, if any; a different request under the same key is a conflict. */
  private async replay(key: string, requestHash: string): Promise<Order | undefined> {
    const previous = await this.table.get<IdempotencyRecord>(idempotencyKey(key), true);
    if (!previous) return undefined;
    if (previous.requestHash !== requestHash) {
      throw new ConflictError('This Idempotency-Key was already used with a different request');
    }
    return this.get(previous.orderId);
  }
}
