import { correlationAssignment, correlationStamp, TransactionCancelledError, withoutKeys, type Table, type TransactItems } from '@platform/dynamo';
import { ConflictError } from '@platform/errors';
import type { Reservation, ReservationStore, ReserveResult } from '../domain';
import { itemKey, reservationKey, STOCK_SHARDS, stockShardKey } from './items-table';
import { firstShardFor, shardCountOf, stockSnapshot } from './stock-shards';

const TAKE_STOCK = 0;
const RECORD_ANSWER = 1;

/**
 * How often a sharded reservation reads the shards again and retries after
 * another order took the stock it planned to take; then the record fails and
 * SQS delivers it again later. Never a refusal: an order is refused only on
 * a snapshot that shows less stock than it asks for.
 */
const SHARDED_ATTEMPTS = 8;

/** An order whose stock was taken by others on every attempt: its message comes back (never a refusal). */
export class StockContendedError extends Error {
  constructor(orderId: string) {
    super(`Order ${orderId}: the item's stock shards changed under every attempt; the message will be retried`);
    this.name = 'StockContendedError';
  }
}

/**
 * Reservations in the items table. Every write carries the flow's correlation
 * id (the order's, from `order.placed`), so the `stock.*` answer and the
 * stock change belong to the order's flow.
 *
 * An item holds its stock on its own row (the single-row layout) or on
 * counter shards (adapters/stock-shards.ts, fixed when it was created). Both
 * keep the port's promise: stock never goes below zero, one answer per order,
 * and an order is refused only when the item's whole stock, at one instant,
 * is less than it asks for.
 */
export class DynamoReservationStore implements ReservationStore {
  /** Items known to be sharded, by id, with their shard count (fixed for an item's life). */
  private readonly sharded = new Map<string, number>();

  constructor(private readonly table: Table) {}

  async reserve(reservation: Reservation & { status: 'RESERVED' }): Promise<ReserveResult> {
    const shards = this.sharded.get(reservation.itemId);
    if (shards) return this.reserveSharded(reservation, shards);
    const flow = correlationAssignment();
    try {
      // Retried in the function while DynamoDB cancels it for a concurrent
      // transaction on the same item (never seen on DynamoDB Local).
      await this.table.transactWriteRetrying([
        {
          Update: {
            TableName: this.table.name,
            Key: itemKey(reservation.itemId),
            UpdateExpression: `SET stock = stock - :quantity, version = version + :one, updatedAt = :now${flow.clause}`,
            // A sharded item's row does not hold its stock: its shards do.
            ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#shards) AND stock >= :quantity',
            ExpressionAttributeNames: { '#shards': STOCK_SHARDS },
            ExpressionAttributeValues: { ':quantity': reservation.quantity, ':one': 1, ':now': reservation.createdAt, ...flow.values },
          },
        },
        this.answerPut(reservation),
      ]);
      return 'RESERVED';
    } catch (error) {
      if (!(error instanceof TransactionCancelledError)) throw error;
      if (error.failedCondition(RECORD_ANSWER)) return 'ALREADY_ANSWERED';
      if (error.failedCondition(TAKE_STOCK)) {
        const row = await this.table.get<Record<string, unknown>>(itemKey(reservation.itemId), true);
        if (!row) return 'NO_SUCH_ITEM';
        const count = shardCountOf(row);
        if (count === 1) return 'INSUFFICIENT_STOCK';
        this.remember(reservation.itemId, count);
        return this.reserveSharded(reservation, count);
      }
      throw error;
    }
  }

  /**
   * First the order's own shard alone (one transaction: the shard and the
   * answer, as on a single row). When that shard has too little, a snapshot
   * of all the shards decides: less than the order asks for in all of them
   * together is a refusal; otherwise the order takes what it needs from the
   * fullest shards in one transaction, read again and retried if another
   * order got there first.
   */
  private async reserveSharded(reservation: Reservation & { status: 'RESERVED' }, shards: number): Promise<ReserveResult> {
    const first = firstShardFor(reservation.orderId, shards);
    const fast = await this.take(reservation, [[first, reservation.quantity]]);
    if (fast !== 'TAKEN_ELSEWHERE') return fast;
    for (let attempt = 1; attempt <= SHARDED_ATTEMPTS; attempt += 1) {
      const snapshot = await stockSnapshot(this.table, reservation.itemId, shards);
      if (!snapshot) return 'NO_SUCH_ITEM';
      const plan = planTake(
        snapshot.shards.map((shard) => shard.stock),
        reservation.quantity,
      );
      if (!plan) return 'INSUFFICIENT_STOCK';
      const result = await this.take(reservation, plan);
      if (result !== 'TAKEN_ELSEWHERE') return result;
      await new Promise((resolve) => setTimeout(resolve, 5 * 2 ** Math.min(attempt, 5) * Math.random()));
    }
    throw new StockContendedError(reservation.orderId);
  }

  /** One transaction: `amount` from each planned shard (each on condition it has it), and the order's answer. */
  private async take(reservation: Reservation & { status: 'RESERVED' }, plan: Array<[number, number]>): Promise<ReserveResult | 'TAKEN_ELSEWHERE'> {
    const flow = correlationAssignment();
    // A reservation is one change of the item (one version), whatever shards it takes from: the first counts it.
    const takes: TransactItems = plan.map(([shard, amount], index) => ({
      Update: {
        TableName: this.table.name,
        Key: stockShardKey(reservation.itemId, shard),
        UpdateExpression: `SET stock = stock - :amount, reservations = reservations + :counted, updatedAt = :now${flow.clause}`,
        ConditionExpression: 'attribute_exists(pk) AND stock >= :amount',
        ExpressionAttributeValues: { ':amount': amount, ':counted': index === 0 ? 1 : 0, ':now': reservation.createdAt, ...flow.values },
      },
    }));
    const answer = takes.length;
    try {
      await this.table.transactWriteRetrying([...takes, this.answerPut(reservation)]);
      return 'RESERVED';
    } catch (error) {
      if (!(error instanceof TransactionCancelledError)) throw error;
      if (error.failedCondition(answer)) return 'ALREADY_ANSWERED';
      if (takes.some((_, index) => error.failedCondition(index))) return 'TAKEN_ELSEWHERE';
      throw error;
    }
  }

  private answerPut(reservation: Reservation & { status: 'RESERVED' }): TransactItems[number] {
    return {
      Put: {
        TableName: this.table.name,
        Item: { ...reservationKey(reservation.orderId), ...reservation, ...correlationStamp() },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
  }

  private remember(itemId: string, shards: number) {
    // Bounded: a container that has seen very many sharded items forgets the oldest (it reads the row again).
    if (this.sharded.size >= 10_000) this.sharded.delete(this.sharded.keys().next().value as string);
    this.sharded.set(itemId, shards);
  }

  async recordRejection(reservation: Reservation & { status: 'REJECTED' }): Promise<boolean> {
    try {
      await this.table.put({
        Item: { ...reservationKey(reservation.orderId), ...reservation, ...correlationStamp() },
        ConditionExpression: 'attribute_not_exists(pk)',
      });
      return true;
    } catch (error) {
      if (error instanceof ConflictError) return false;
      throw error;
    }
  }

  async find(orderId: string): Promise<Reservation | undefined> {
    const record = await this.table.get<Record<string, unknown>>(reservationKey(orderId), true);
    return record && withoutKeys<Reservation>(record);
  }
}

/**
 * What to take from which shard to make `quantity`: from the fullest first, so
 * an order touches as few shards as it can. Undefined when all of them
 * together hold less.
 */
export const planTake = (stocks: number[], quantity: number): Array<[number, number]> | undefined => {
  if (stocks.reduce((sum, stock) => sum + stock, 0) < quantity) return undefined;
  const plan: Array<[number, number]> = [];
  let left = quantity;
  for (const shard of stocks.map((_, index) => index).sort((a, b) => (stocks[b] ?? 0) - (stocks[a] ?? 0))) {
    if (left === 0) break;
    const amount = Math.min(left, stocks[shard] ?? 0);
    if (amount > 0) plan.push([shard, amount]);
    left -= amount;
  }
  return plan;
};
