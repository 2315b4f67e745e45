import * as z from 'zod';
import type { RejectionReason } from '@platform/events';

const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

export const NewOrderSchema = z.strictObject({
  itemId: id,
  quantity: z.number().int().positive().max(1000),
  customerEmail: z.email().max(254),
});

/** Clients pick the key; it is part of a table key, so it is kept to a safe alphabet. */
export const IdempotencyKeySchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/);

export const OrderIdSchema = id;

export type NewOrder = z.output<typeof NewOrderSchema>;
export type OrderStatus = 'PENDING' | 'CONFIRMED' | 'REJECTED';
export type Decision = { status: 'CONFIRMED' } | { status: 'REJECTED'; reason: RejectionReason };

export interface Order extends NewOrder {
  id: string;
  status: OrderStatus;
  reason?: RejectionReason;
  createdAt: string;
  updatedAt: string;
}

/** The catalogue's answer for one order, as `stock.reserved` / `stock.rejected` carry it. */
export interface StockAnswer {
  orderId: string;
  itemId: string;
  quantity: number;
  decision: Decision;
}
