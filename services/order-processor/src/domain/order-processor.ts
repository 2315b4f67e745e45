import { entityKey, TransactionCancelledError, type Table } from '@platform/dynamo';
import { ConflictError } from '@platform/errors';
import { buildEvent, type EventOf, type EventPublisher, type RejectionReason } from '@platform/events';

export const EVENT_SOURCE = 'order-processor';

// The rows of items-api's table this service changes (its stack exports the table).
const itemKey = (id: string) => entityKey('ITEM', id);
const orderKey = (id: string) => entityKey('ORDER', id);

type Decision = { status: 'CONFIRMED' } | { status: 'REJECTED'; reason: RejectionReason };

interface StoredOrder {
  id: string;
  status: 'PENDING' | 'CONFIRMED' | 'REJECTED';
  reason?: RejectionReason;
}

/** The order a message names is not in the table: a poison message, left to fail into the DLQ. */
export class UnknownOrderError extends Error {
  constructor(orderId: string) {
    super(`Order ${orderId} does not exist`);
    this.name = 'UnknownOrderError';
  }
}

/**
 * Decides placed orders. One DynamoDB transaction takes the stock and
 * confirms the order, conditional on enough stock and on the order still being
 * PENDING, so stock never goes below zero and a redelivered message changes
 * nothing twice. The outcome is (re)published on every delivery, with an id
 * derived from the order, so a publish lost after the write is made good by
 * the retry and consumers can drop the duplicates.
 */
export class OrderProcessor {
  constructor(
    private readonly table: Table,
    private readonly publisher: EventPublisher,
  ) {}

  async process(event: EventOf<'order.placed'>): Promise<Decision> {
    const { orderId } = event.data;
    const order = await this.table.get<StoredOrder>(orderKey(orderId), true);
    if (!order) throw new UnknownOrderError(orderId);
    const decision = order.status === 'PENDING' ? await this.decide(event) : toDecision(order);
    await this.announce(event, decision);
    return decision;
  }

  private async decide({ data }: EventOf<'order.placed'>): Promise<Decision> {
    const now = new Date().toISOString();
    try {
      await this.table.transactWriteRetrying([
        {
          Update: {
            TableName: this.table.name,
            Key: itemKey(data.itemId),
            UpdateExpression: 'SET stock = stock - :quantity, version = version + :one, updatedAt = :now',
            ConditionExpression: 'attribute_exists(pk) AND stock >= :quantity',
            ExpressionAttributeValues: { ':quantity': data.quantity, ':one': 1, ':now': now },
          },
        },
        {
          Update: {
            TableName: this.table.name,
            Key: orderKey(data.orderId),
            UpdateExpression: 'SET #status = :confirmed, updatedAt = :now',
            ConditionExpression: '#status = :pending',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':confirmed': 'CONFIRMED', ':pending': 'PENDING', ':now': now },
          },
        },
      ]);
      return { status: 'CONFIRMED' };
    } catch (error) {
      if (!(error instanceof TransactionCancelledError)) throw error;
      // Another delivery of the same message decided it first.
      if (error.failedCondition(1)) return this.currentDecision(data.orderId);
      if (error.failedCondition(0)) return this.reject(data.orderId, data.itemId, now);
      // Still contended after in-function retries: fail the record; SQS redelivers it.
      throw error;
    }
  }

  private async reject(orderId: string, itemId: string, now: string): Promise<Decision> {
    const item = await this.table.get(itemKey(itemId), true);
    const reason: RejectionReason = item ? 'OUT_OF_STOCK' : 'ITEM_NOT_FOUND';
    try {
      await this.table.update({
        Key: orderKey(orderId),
        UpdateExpression: 'SET #status = :rejected, reason = :reason, updatedAt = :now',
        ConditionExpression: '#status = :pending',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':rejected': 'REJECTED', ':reason': reason, ':pending': 'PENDING', ':now': now },
      });
      return { status: 'REJECTED', reason };
    } catch (error) {
      if (error instanceof ConflictError) return this.currentDecision(orderId);
      throw error;
    }
  }

  private async currentDecision(orderId: string): Promise<Decision> {
    const order = await this.table.get<StoredOrder>(orderKey(orderId), true);
    if (!order) throw new UnknownOrderError(orderId);
    return toDecision(order);
  }

  private async announce({ data }: EventOf<'order.placed'>, decision: Decision): Promise<void> {
    const line = { orderId: data.orderId, itemId: data.itemId, quantity: data.quantity, customerEmail: data.customerEmail };
    await this.publisher.publish(
      decision.status === 'CONFIRMED'
        ? buildEvent('order.confirmed', EVENT_SOURCE, line, { id: `order.confirmed:${data.orderId}` })
        : buildEvent('order.rejected', EVENT_SOURCE, { ...line, reason: decision.reason }, { id: `order.rejected:${data.orderId}` }),
    );
  }
}

const toDecision = (order: StoredOrder): Decision => {
  if (order.status === 'CONFIRMED') return { status: 'CONFIRMED' };
  if (order.status === 'REJECTED') return { status: 'REJECTED', reason: order.reason ?? 'OUT_OF_STOCK' };
  throw new Error(`Order ${order.id} is still PENDING after a decision was attempted`);
};
