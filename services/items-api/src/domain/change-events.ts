import { buildEvent, type DomainEvent } from '@platform/events';
import type { Item } from './item';
import { ITEM, ORDER } from './keys';
import type { Order } from './order';

export const EVENT_SOURCE = 'items-api';

/** One row change of the items table, as the table's stream reports it (images already unmarshalled). */
export interface TableChange {
  kind: 'INSERT' | 'MODIFY' | 'REMOVE';
  oldImage?: Record<string, unknown>;
  newImage?: Record<string, unknown>;
}

const snapshot = (item: Item) => ({
  id: item.id,
  name: item.name,
  ...(item.description !== undefined && { description: item.description }),
  priceCents: item.priceCents,
  stock: item.stock,
  version: item.version,
});

/**
 * The transactional outbox, read from the table's stream: every committed
 * item or order write maps to the domain event it stands for. Event ids are
 * derived from the row (id + version), so a stream batch that is retried
 * republishes the same ids and consumers can drop the duplicates.
 */
export const eventForChange = ({ kind, oldImage, newImage }: TableChange): DomainEvent | undefined => {
  const image = newImage ?? oldImage;
  if (!image) return undefined;

  if (image.sk === ITEM) {
    const item = image as unknown as Item;
    if (kind === 'INSERT') {
      return buildEvent('item.created', EVENT_SOURCE, snapshot(item), { id: `item.created:${item.id}`, occurredAt: item.createdAt });
    }
    if (kind === 'MODIFY' && (oldImage as unknown as Item | undefined)?.version !== item.version) {
      return buildEvent('item.updated', EVENT_SOURCE, snapshot(item), {
        id: `item.updated:${item.id}:${item.version}`,
        occurredAt: item.updatedAt,
      });
    }
    if (kind === 'REMOVE') {
      return buildEvent('item.deleted', EVENT_SOURCE, { id: item.id }, { id: `item.deleted:${item.id}` });
    }
    return undefined;
  }

  // Only an order's creation is published here; its decision is order-processor's to announce.
  if (image.sk === ORDER && kind === 'INSERT') {
    const order = image as unknown as Order;
    return buildEvent(
      'order.placed',
      EVENT_SOURCE,
      { orderId: order.id, itemId: order.itemId, quantity: order.quantity, customerEmail: order.customerEmail },
      { id: `order.placed:${order.id}`, occurredAt: order.createdAt },
    );
  }
  return undefined;
};
