import { customerOf, httpHandler, parseOrThrow } from '@platform/handler-kit';
import { IdempotencyKeySchema, NewOrderSchema } from '../domain';
import { ordersService } from './context';

export const handler = httpHandler({ body: NewOrderSchema }, async ({ body, headers, caller }) => {
  const customer = customerOf(caller);
  const key = parseOrThrow(IdempotencyKeySchema.optional(), headers['idempotency-key'], 'headers.idempotency-key');
  const order = await ordersService().place(body, customer, key);
  return { statusCode: 202, body: { orderId: order.id, status: order.status } };
});
