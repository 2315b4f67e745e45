import { sqsEventHandler } from '@platform/handler-kit';
import { stockKeeper } from './context';

export const ACCEPTED_EVENTS = ['order.placed'] as const;

// Sequential: records of one batch often name the same item, and parallel
// transactions on one item would only cancel each other and be retried.
export const handler = sqsEventHandler(
  ACCEPTED_EVENTS,
  async ({ data: { orderId, itemId, quantity } }, { logger }) => {
    const answer = await stockKeeper().answer({ orderId, itemId, quantity });
    logger.info('stock request answered', { orderId, itemId, status: answer.status, ...(answer.status === 'REJECTED' && { reason: answer.reason }) });
  },
  { sequential: true },
);
