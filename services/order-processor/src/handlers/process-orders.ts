import { Table } from '@platform/dynamo';
import { requiredEnv } from '@platform/errors';
import { eventPublisherFromEnv } from '@platform/events';
import { sqsEventHandler } from '@platform/handler-kit';
import { OrderProcessor } from '../domain';

let processor: OrderProcessor | undefined;

const orderProcessor = (): OrderProcessor => {
  processor ??= new OrderProcessor(new Table(requiredEnv('ITEMS_TABLE_NAME')), eventPublisherFromEnv());
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
