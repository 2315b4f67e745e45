import * as z from 'zod';
import type { RejectionReason } from '@platform/events';

const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

/**
 * What a customer sends. Who they are, and their email, come from their
 * verified token; `customerEmail` is accepted only so that an older client
 * naming its own address keeps working, and must match the token's.
 */
export const NewOrderSchema = z.strictObject({
  itemId: id,
  quantity: z.number().int().positive().max(1000),
  customerEmail: z.email().max(254).optional(),
});

/** Clients pick the key; it is part of a table key, so it is kept to a safe alphabet. */
export const IdempotencyKeySchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/);

export const OrderIdSchema = id;

export type NewOrder = z.output<typeof NewOrderSchema>;

/** The signed-in customer an order belongs to: the token's subject and email. */
export interface OrderCustomer {
  id: string;
  email: string;
}
export type OrderStatus = 'PENDING' | 'CONFIRMED' | 'REJECTED';
export type Decision = { status: 'CONFIRMED' } | { status: 'REJECTED'; reason: RejectionReason };

export interface Order {
  id: string;
  itemId: string;
  quantity: number;
  /** The owner: only they can read the order. */
  customerId: string;
  /** Where the outcome is sent: the owner's email as their issuer vouched for it. */
  customerEmail: string;
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
