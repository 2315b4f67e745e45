import { parseEvent } from '@platform/events';
import { eventForChange } from '../../src/adapters/outbox';

const at = '2026-01-01T00:00:00.000Z';
const pending = { pk: 'ORDER#o1', sk: 'ORDER', id: 'o1', itemId: 'i1', quantity: 2, customerId: 'sub-ada', customerEmail: 'ada@example.com', status: 'PENDING', createdAt: at, updatedAt: at };
const later = '2026-01-01T00:00:05.000Z';

describe('eventForChange (the orders table outbox)', () => {
  it('turns a new order into order.placed with an id derived from the order', () => {
    expect(eventForChange({ kind: 'INSERT', newImage: pending })).toEqual({
      id: 'order.placed:o1',
      type: 'order.placed',
      version: 1,
      occurredAt: at,
      source: 'order-processor',
      data: { orderId: 'o1', itemId: 'i1', quantity: 2, customerEmail: 'ada@example.com' },
    });
  });

  it('turns the move out of PENDING into order.confirmed or order.rejected, from the stored order', () => {
    const confirmed = eventForChange({ kind: 'MODIFY', oldImage: pending, newImage: { ...pending, status: 'CONFIRMED', updatedAt: later } });
    expect(confirmed).toMatchObject({ id: 'order.confirmed:o1', occurredAt: later, data: { orderId: 'o1', itemId: 'i1', quantity: 2, customerEmail: 'ada@example.com' } });
    const rejected = eventForChange({ kind: 'MODIFY', oldImage: pending, newImage: { ...pending, status: 'REJECTED', reason: 'OUT_OF_STOCK' } });
    expect(rejected).toMatchObject({ id: 'order.rejected:o1', data: { reason: 'OUT_OF_STOCK' } });
    expect(parseEvent(JSON.stringify(rejected), ['order.rejected'])).toEqual(rejected);
  });

  it('puts the correlation id of the write on the event: the order’s flow, placed or decided', () => {
    const flow = 'Yp4lKhOtIAMEVXg=';
    expect(eventForChange({ kind: 'INSERT', newImage: pending, correlationId: flow })?.correlationId).toBe(flow);
    const decided = { ...pending, status: 'CONFIRMED', updatedAt: later };
    expect(eventForChange({ kind: 'MODIFY', oldImage: pending, newImage: decided, correlationId: flow })?.correlationId).toBe(flow);
    expect(eventForChange({ kind: 'INSERT', newImage: pending })).not.toHaveProperty('correlationId');
  });

  it('publishes nothing for idempotency keys or changes that are not a decision', () => {
    expect(eventForChange({ kind: 'INSERT', newImage: { pk: 'IDEMPOTENCY#k', sk: 'IDEMPOTENCY', orderId: 'o1' } })).toBeUndefined();
    const confirmed = { ...pending, status: 'CONFIRMED' };
    expect(eventForChange({ kind: 'MODIFY', oldImage: confirmed, newImage: confirmed })).toBeUndefined();
    expect(eventForChange({ kind: 'REMOVE', oldImage: pending })).toBeUndefined();
  });
});
