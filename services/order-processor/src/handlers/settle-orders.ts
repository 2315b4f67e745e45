import { sqsEventHandler } from '@platform/handler-kit';
import { ordersService } from './context';

export const ACCEPTED_EVENTS = ['stock.reserved', 'stock.rejected'] as const;

export const handler = sqsEventHandler(ACCEPTED_EVENTS, async (event, { logger }) => {
  const { orderId, itemId, quantity } = event.data;
  const decision = event.type === 'stock.reserved' ? ({ status: 'CONFIRMED' } as const) : ({ status: 'REJECTED', reason: event.data.reason } as const);
  const order = await ordersService().settle({ orderId, itemId, quantity, decision });
  logger.info('order settled', { orderId, status: order.status, ...(order.reason && { reason: order.reason }) });
});
