import * as z from 'zod';
import { envelopeSchema } from './envelope';

const ItemSnapshot = z.object({
  id: z.string().min(1),
  name: z.string(),
  description: z.string().optional(),
  priceCents: z.number().int().nonnegative(),
  stock: z.number().int().nonnegative(),
  version: z.number().int().positive(),
});

const OrderLine = z.object({
  orderId: z.string().min(1),
  itemId: z.string().min(1),
  quantity: z.number().int().positive(),
  customerEmail: z.email(),
});

export const RejectionReason = z.enum(['OUT_OF_STOCK', 'ITEM_NOT_FOUND']);

/** What the catalogue answers for one order: it names the order and what was asked, never the customer. */
const StockRequest = z.object({
  orderId: z.string().min(1),
  itemId: z.string().min(1),
  quantity: z.number().int().positive(),
});

/** The schema of each event type, by type. Producers validate before publishing; consumers on receipt. */
export const EventSchemas = {
  'item.created': envelopeSchema('item.created', ItemSnapshot),
  'item.updated': envelopeSchema('item.updated', ItemSnapshot),
  'item.deleted': envelopeSchema('item.deleted', z.object({ id: z.string().min(1) })),
  'order.placed': envelopeSchema('order.placed', OrderLine),
  'stock.reserved': envelopeSchema('stock.reserved', StockRequest),
  'stock.rejected': envelopeSchema('stock.rejected', StockRequest.extend({ reason: RejectionReason })),
  'order.confirmed': envelopeSchema('order.confirmed', OrderLine),
  'order.rejected': envelopeSchema('order.rejected', OrderLine.extend({ reason: RejectionReason })),
} as const;

export type EventType = keyof typeof EventSchemas;
export type EventOf<T extends EventType> = z.output<(typeof EventSchemas)[T]>;
export type DataOf<T extends EventType> = EventOf<T>['data'];
export type DomainEvent = { [T in EventType]: EventOf<T> }[EventType];
export type RejectionReason = z.output<typeof RejectionReason>;

export const EVENT_TYPES = Object.keys(EventSchemas) as EventType[];
