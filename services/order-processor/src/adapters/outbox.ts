import type { TableChange } from '@platform/dynamo';
import { buildEvent, type DomainEvent } from '@platform/events';
import type { Order } from '../domain';
import { ORDER } from './orders-table';

export const EVENT_SOURCE = 'order-processor';

/**
 * The transactional outbox, read from the orders table's stream: a new order
 * is `order.placed`; its one move out of PENDING is `order.confirmed` or
 * `order.rejected`. Every field comes from the stored order, never from the
 * message that caused the change. Ids derive from the order id, so a
 * retried stream batch republishes the same ids.
 */
export const eventForChange = ({ kind, oldImage, newImage }: TableChange): DomainEvent | undefined => {
  if (newImage?.sk !== ORDER) return undefined;
  const order = newImage as unknown as Order;
  const line = { orderId: order.id, itemId: order.itemId, quantity: order.quantity, customerEmail: order.customerEmail };
  if (kind === 'INSERT') return buildEvent('order.placed', EVENT_SOURCE, line, { id: `order.placed:${order.id}`, occurredAt: order.createdAt });
  if (kind !== 'MODIFY' || oldImage?.status !== 'PENDING') return undefined;
  if (order.status === 'CONFIRMED') {
    return buildEvent('order.confirmed', EVENT_SOURCE, line, { id: `order.confirmed:${order.id}`, occurredAt: order.updatedAt });
  }
  if (order.status === 'REJECTED' && order.reason) {
    return buildEvent('order.rejected', EVENT_SOURCE, { ...line, reason: order.reason }, { id: `order.rejected:${order.id}`, occurredAt: order.updatedAt });
  }
  return undefined;
};
