import { customerOf, httpHandler } from '@platform/handler-kit';
import * as z from 'zod';
import { OrderIdSchema } from '../domain';
import { ordersService } from './context';

const OrderPath = z.object({ id: OrderIdSchema });

export const handler = httpHandler({ path: OrderPath }, async ({ path, caller }) => {
  const { id, status, reason, itemId, quantity, createdAt, updatedAt } = await ordersService().get(path.id, customerOf(caller));
  return { statusCode: 200, body: { id, status, ...(reason && { reason }), itemId, quantity, createdAt, updatedAt } };
});
