import * as z from 'zod';
import type { RejectionReason } from '@platform/events';
import { ItemIdSchema } from './item';

export const NewOrderSchema = z.strictObject({
  itemId: ItemIdSchema,
  quantity: z.number().int().positive().max(1000),
  customerEmail: z.email().max(254),
});

/** Clients pick the key; it is part of a table key, so it is kept to a safe alphabet. */
export const IdempotencyKeySchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/);

export const OrderIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

export type NewOrder = z.output<typeof NewOrderSchema>;
export type OrderStatus = 'PENDING' | 'CONFIRMED' | 'REJECTED';

export interface Order extends NewOrder {
  id: string;
  status: OrderStatus;
  reason?: RejectionReason;
  createdAt: string;
  updatedAt: string;
}
