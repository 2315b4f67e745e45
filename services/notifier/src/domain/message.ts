import type { EventOf } from '@platform/events';

export type OrderOutcomeEvent = EventOf<'order.confirmed' | 'order.rejected'>;

export interface Notification {
  recipient: string;
  subject: string;
  text: string;
}

const REASONS = {
  OUT_OF_STOCK: 'the item is out of stock',
  ITEM_NOT_FOUND: 'the item is no longer sold',
} as const;

/** What the customer is told about an order's outcome. */
export const notificationFor = (event: OrderOutcomeEvent): Notification => {
  const { orderId, quantity, itemId, customerEmail } = event.data;
  if (event.type === 'order.confirmed') {
    return {
      recipient: customerEmail,
      subject: `Order ${orderId} confirmed`,
      text: `Your order ${orderId} for ${quantity} x item ${itemId} is confirmed.`,
    };
  }
  return {
    recipient: customerEmail,
    subject: `Order ${orderId} could not be fulfilled`,
    text: `Sorry: your order ${orderId} for ${quantity} x item ${itemId} was not placed because ${REASONS[event.data.reason]}.`,
  };
};
