import { correlationAssignment, correlationStamp, TransactionCancelledError, withoutKeys, type Table } from '@platform/dynamo';
import { ConflictError } from '@platform/errors';
import type { Reservation, ReservationStore, ReserveResult } from '../domain';
import { itemKey, reservationKey } from './items-table';

const TAKE_STOCK = 0;
const RECORD_ANSWER = 1;

/**
 * Reservations in the items table. Every write carries the flow's correlation
 * id (the order's, from `order.placed`), so the `stock.*` answer and the
 * `item.updated` of the stock change belong to the order's flow.
 */
export class DynamoReservationStore implements ReservationStore {
  constructor(private readonly table: Table) {}

  async reserve(reservation: Reservation & { status: 'RESERVED' }): Promise<ReserveResult> {
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
            ConditionExpression: 'attribute_exists(pk) AND stock >= :quantity',
            ExpressionAttributeValues: { ':quantity': reservation.quantity, ':one': 1, ':now': reservation.createdAt, ...flow.values },
          },
        },
        {
          Put: {
            TableName: this.table.name,
            Item: { ...reservationKey(reservation.orderId), ...reservation, ...correlationStamp() },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ]);
      return 'RESERVED';
    } catch (error) {
      if (!(error instanceof TransactionCancelledError)) throw error;
      if (error.failedCondition(RECORD_ANSWER)) return 'ALREADY_ANSWERED';
      if (error.failedCondition(TAKE_STOCK)) {
        return (await this.table.get(itemKey(reservation.itemId), true)) ? 'INSUFFICIENT_STOCK' : 'NO_SUCH_ITEM';
      }
      throw error;
    }
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
