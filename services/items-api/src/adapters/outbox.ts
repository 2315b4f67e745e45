import type { TableChange } from '@platform/dynamo';
import { buildEvent, type DomainEvent } from '@platform/events';
import type { Item, Reservation } from '../domain';
import { DELETED_AT, ITEM, RESERVATION } from './items-table';

export const EVENT_SOURCE = 'items-api';

const snapshot = (item: Item) => ({
  id: item.id,
  name: item.name,
  ...(item.description !== undefined && { description: item.description }),
  priceCents: item.priceCents,
  stock: item.stock,
  version: item.version,
  ...(item.image && { image: { id: item.image.id, contentType: item.image.contentType, bytes: item.image.bytes } }),
});

/**
 * The transactional outbox, read from the items table's stream: each
 * committed change maps to the event it stands for. Event ids derive from
 * the row (item id + version, order id), so a retried stream batch
 * republishes the same ids and consumers drop the duplicates. Each event
 * carries the correlation id of the write (none for a delete), and the
 * time of the change it stands for (for a delete, the time the delete stamped).
 */
export const eventForChange = ({ kind, oldImage, newImage, correlationId }: TableChange): DomainEvent | undefined => {
  const image = newImage ?? oldImage;
  if (image?.sk === ITEM) {
    const item = image as unknown as Item;
    if (kind === 'INSERT') {
      return buildEvent('item.created', EVENT_SOURCE, snapshot(item), { id: `item.created:${item.id}`, occurredAt: item.createdAt, correlationId });
    }
    if (kind === 'MODIFY' && (oldImage as unknown as Item | undefined)?.version !== item.version) {
      const options = { id: `item.updated:${item.id}:${item.version}`, occurredAt: item.updatedAt, correlationId };
      return buildEvent('item.updated', EVENT_SOURCE, snapshot(item), options);
    }
    if (kind === 'REMOVE') {
      // The delete stamped its time on the row (DynamoItemStore.remove). A row deleted
      // before deletes did so has none: the relay's clock is the best left.
      const deletedAt = image[DELETED_AT];
      const options = { id: `item.deleted:${item.id}`, ...(typeof deletedAt === 'string' && { occurredAt: deletedAt }) };
      return buildEvent('item.deleted', EVENT_SOURCE, { id: item.id }, options);
    }
    return undefined;
  }
  // A reservation row is written once, with the answer; that write is the answer's event.
  if (image?.sk === RESERVATION && kind === 'INSERT') {
    const answer = image as unknown as Reservation;
    const request = { orderId: answer.orderId, itemId: answer.itemId, quantity: answer.quantity };
    const options = { id: `stock.${answer.status === 'RESERVED' ? 'reserved' : 'rejected'}:${answer.orderId}`, occurredAt: answer.createdAt, correlationId };
    return answer.status === 'RESERVED'
      ? buildEvent('stock.reserved', EVENT_SOURCE, request, options)
      : buildEvent('stock.rejected', EVENT_SOURCE, { ...request, reason: answer.reason }, options);
  }
  return undefined;
};
