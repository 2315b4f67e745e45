import { Table } from '@platform/dynamo';
import { eventPublisherFromEnv } from '@platform/events';
import { sqsEventHandler } from '@platform/handler-kit';
import { OrderProcessor } from '../domain';

let processor: OrderProcessor | undefined;

const orderProcessor = (): OrderProcessor => {
  if (!processor) {
    const tableName = process.env.ITEMS_TABLE_NAME;
    if (!tableName) throw new Error('ITEMS_TABLE_NAME is not set');
    processor = new OrderProcessor(new Table(tableName), eventPublisherFromEnv());
  }
  return processor;
};

export const ACCEPTED_EVENTS = ['order.placed'] as const;

// Sequential: records of one batch often order the same item, and parallel
// transactions on one item would only cancel each other and be retried.
export const handler = sqsEventHandler(
  ACCEPTED_EVENTS,
  async (event, { logger }) => {
    const decision = await orderProcessor().process(event);
    logger.info('order decided', { orderId: event.data.orderId, ...decision });
  },
  { sequential: true },
);
