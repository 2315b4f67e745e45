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
 * retried stream batch republishes the same ids. Each event carries the
 * correlation id of the write: the POST /orders request for `order.placed`,
 * the same flow (by way of the catalogue's answer) for the decision.
 */
export const eventForChange = ({ kind, oldImage, newImage, correlationId }: TableChange): DomainEvent | undefined => {
  if (newImage?.sk !== ORDER) return undefined;
  const order = newImage as unknown as Order;
  const line = { orderId: order.id, itemId: order.itemId, quantity: order.quantity, customerEmail: order.customerEmail };
  if (kind === 'INSERT') return buildEvent('order.placed', EVENT_SOURCE, line, { id: `order.placed:${order.id}`, occurredAt: order.createdAt, correlationId });
  if (kind !== 'MODIFY' || oldImage?.status !== 'PENDING') return undefined;
  if (order.status === 'CONFIRMED') {
    return buildEvent('order.confirmed', EVENT_SOURCE, line, { id: `order.confirmed:${order.id}`, occurredAt: order.updatedAt, correlationId });
  }
  if (order.status === 'REJECTED' && order.reason) {
    const options = { id: `order.rejected:${order.id}`, occurredAt: order.updatedAt, correlationId };
    return buildEvent('order.rejected', EVENT_SOURCE, { ...line, reason: order.reason }, options);
  }
  return undefined;
};
