import { instrumented, loggerForInvocation } from '@platform/handler-kit';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { countStuckOrders } from '../adapters/metrics';
import { ordersService, stuckOrderAfterMinutes } from './context';

/** Every 5 minutes (EventBridge): one WARN line per order PENDING past the threshold, and their count, 0 included, as OrdersStuckPending. */
export const handler = instrumented(async (_event: ScheduledEvent, context: Context) => {
  const logger = loggerForInvocation(context);
  const thresholdMinutes = stuckOrderAfterMinutes();
  const stuck = await ordersService().findStuck(thresholdMinutes);
  for (const { id, ageSeconds, createdAt, correlationId } of stuck) logger.warn('order stuck in PENDING', { orderId: id, ageSeconds, createdAt, thresholdMinutes, ...(correlationId && { correlationId }) });
  countStuckOrders(stuck.length);
  return { stuck: stuck.length, thresholdMinutes };
});
