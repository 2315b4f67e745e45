import { RejectionReason } from '@platform/events';
import * as z from 'zod';
import { NewOrderSchema, OrderIdSchema, type Order, type OrderStatus } from '../domain';

// What the /orders routes answer, in zod beside what they accept
// (src/domain/order.ts), for the OpenAPI document (./openapi.ts). The handlers
// build these bodies from an Order; the checks at the bottom make the
// typecheck fail when the schemas and the domain's Order drift apart.
const timestamp = z.iso.datetime().meta({ description: 'ISO 8601, UTC' });

const OrderStatusSchema = z.enum(['PENDING', 'CONFIRMED', 'REJECTED']).meta({
  description: 'PENDING until the catalogue has answered, then CONFIRMED (stock reserved) or REJECTED (see `reason`), once.',
});

export const OrderAcceptedSchema = z
  .object({
    orderId: OrderIdSchema,
    status: OrderStatusSchema.meta({
      description:
        'PENDING for a new order. A retry with the same Idempotency-Key answers the order as it is now, which may already be CONFIRMED or REJECTED.',
    }),
  })
  .meta({ id: 'OrderAccepted' });

export const OrderStatusBodySchema = z
  .object({
    id: OrderIdSchema,
    status: OrderStatusSchema,
    reason: RejectionReason.optional().meta({ description: 'Why the catalogue rejected the order; only when REJECTED.' }),
    itemId: NewOrderSchema.shape.itemId,
    quantity: NewOrderSchema.shape.quantity,
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'OrderStatus' });

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _statusIsDocumented: Same<OrderStatus, z.output<typeof OrderStatusSchema>> = true;
// place-order.ts answers { orderId: order.id, status: order.status }; get-order.ts these fields of the order.
const _acceptedIsDocumented: Same<{ orderId: Order['id']; status: Order['status'] }, z.output<typeof OrderAcceptedSchema>> = true;
const _orderIsDocumented: Same<
  Pick<Order, 'id' | 'status' | 'reason' | 'itemId' | 'quantity' | 'createdAt' | 'updatedAt'>,
  z.output<typeof OrderStatusBodySchema>
> = true;
