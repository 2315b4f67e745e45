import { httpHandler } from '@platform/handler-kit';
import { ordersService } from './context';
import { OrderPath } from './schemas';

export const handler = httpHandler({ path: OrderPath }, async ({ path }) => {
  const { id, status, reason, itemId, quantity, createdAt, updatedAt } = await ordersService().get(path.id);
  return { statusCode: 200, body: { id, status, ...(reason && { reason }), itemId, quantity, createdAt, updatedAt } };
});
