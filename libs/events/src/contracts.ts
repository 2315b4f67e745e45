import * as z from 'zod';
import { envelopeSchema } from './envelope';

const ItemSnapshot = z.object({
  id: z.string().min(1),
  name: z.string(),
  description: z.string().optional(),
  priceCents: z.number().int().nonnegative(),
  stock: z.number().int().nonnegative(),
  version: z.number().int().positive(),
  // The item's image, once one was uploaded and checked (an S3 object under images/; no URL: those expire).
  image: z
    .object({
      id: z.string().min(1),
      contentType: z.enum(['image/jpeg', 'image/png', 'image/webp']),
      bytes: z.number().int().positive(),
    })
    .optional(),
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

/**
 * The one service that produces each event type. The envelope's `source` must
 * name it, so a consumer refuses an event its producer could not have sent;
 * and the bus topic's policy lets only these services' roles publish
 * (infra/serverless/platform.cjs, checked against this map by tools/policy).
 */
export const EVENT_PRODUCERS = {
  'item.created': 'items-api',
  'item.updated': 'items-api',
  'item.deleted': 'items-api',
  'order.placed': 'order-processor',
  'stock.reserved': 'items-api',
  'stock.rejected': 'items-api',
  'order.confirmed': 'order-processor',
  'order.rejected': 'order-processor',
} as const;

/**
 * The entities each event type is about, so that tools can follow one piece
 * of work across services without knowing the domain (the local console joins
 * and shows hops by them, tools/console/lib/hops.mjs): key name → the field
 * of the event's `data` that holds it. Key names are shared across types (the
 * same entity has the same key name wherever it appears) and name table
 * attributes too (a row with an `orderId` attribute is about that order). The
 * first key is the event's subject. Checked against the data schemas by the
 * compiler (below) and by test/entity-keys.test.ts.
 */
export const EVENT_ENTITY_KEYS = {
  'item.created': { itemId: 'id' },
  'item.updated': { itemId: 'id' },
  'item.deleted': { itemId: 'id' },
  'order.placed': { orderId: 'orderId', itemId: 'itemId' },
  'stock.reserved': { orderId: 'orderId', itemId: 'itemId' },
  'stock.rejected': { orderId: 'orderId', itemId: 'itemId' },
  'order.confirmed': { orderId: 'orderId', itemId: 'itemId' },
  'order.rejected': { orderId: 'orderId', itemId: 'itemId' },
} as const satisfies { readonly [T in EventType]: Readonly<Record<string, keyof DataOf<T> & string>> };

const contract = <T extends keyof typeof EVENT_PRODUCERS, D extends z.ZodType>(type: T, data: D) => envelopeSchema(type, EVENT_PRODUCERS[type], data);

/** The schema of each event type, by type. Producers validate before publishing; consumers on receipt. */
export const EventSchemas = {
  'item.created': contract('item.created', ItemSnapshot),
  'item.updated': contract('item.updated', ItemSnapshot),
  'item.deleted': contract('item.deleted', z.object({ id: z.string().min(1) })),
  'order.placed': contract('order.placed', OrderLine),
  'stock.reserved': contract('stock.reserved', StockRequest),
  'stock.rejected': contract('stock.rejected', StockRequest.extend({ reason: RejectionReason })),
  'order.confirmed': contract('order.confirmed', OrderLine),
  'order.rejected': contract('order.rejected', OrderLine.extend({ reason: RejectionReason })),
} as const;

export type ProducerOf<T extends EventType> = (typeof EVENT_PRODUCERS)[T];

export type EventType = keyof typeof EventSchemas;
export type EventOf<T extends EventType> = z.output<(typeof EventSchemas)[T]>;
export type DataOf<T extends EventType> = EventOf<T>['data'];
export type DomainEvent = { [T in EventType]: EventOf<T> }[EventType];
export type EntityKeysOf<T extends EventType> = (typeof EVENT_ENTITY_KEYS)[T];
export type RejectionReason = z.output<typeof RejectionReason>;

export const EVENT_TYPES = Object.keys(EventSchemas) as EventType[];
