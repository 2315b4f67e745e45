import { parseEvent } from '@platform/events';
import { eventForChange } from '../../src/domain';

const item = { pk: 'ITEM#i1', sk: 'ITEM', id: 'i1', name: 'pen', priceCents: 120, stock: 5, version: 1, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' };
const order = { pk: 'ORDER#o1', sk: 'ORDER', id: 'o1', itemId: 'i1', quantity: 2, customerEmail: 'ada@example.com', status: 'PENDING', createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' };

describe('eventForChange (the stream outbox)', () => {
  it('turns a new order row into order.placed with an id derived from the order', () => {
    expect(eventForChange({ kind: 'INSERT', newImage: order })).toEqual({
      id: 'order.placed:o1',
      type: 'order.placed',
      version: 1,
      occurredAt: order.createdAt,
      source: 'items-api',
      data: { orderId: 'o1', itemId: 'i1', quantity: 2, customerEmail: 'ada@example.com' },
    });
  });

  it('publishes nothing when an order is decided: that is order-processor’s event', () => {
    expect(eventForChange({ kind: 'MODIFY', oldImage: order, newImage: { ...order, status: 'CONFIRMED' } })).toBeUndefined();
  });

  it('turns item rows into item.created, item.updated (per version) and item.deleted', () => {
    expect(eventForChange({ kind: 'INSERT', newImage: item })).toMatchObject({ type: 'item.created', id: 'item.created:i1' });
    const updated = { ...item, stock: 3, version: 2 };
    expect(eventForChange({ kind: 'MODIFY', oldImage: item, newImage: updated })).toMatchObject({
      type: 'item.updated',
      id: 'item.updated:i1:2',
      data: { id: 'i1', stock: 3, version: 2 },
    });
    expect(eventForChange({ kind: 'REMOVE', oldImage: item })).toMatchObject({ type: 'item.deleted', data: { id: 'i1' } });
  });

  it('ignores idempotency records and unchanged versions', () => {
    expect(eventForChange({ kind: 'INSERT', newImage: { pk: 'IDEMPOTENCY#k', sk: 'IDEMPOTENCY', orderId: 'o1' } })).toBeUndefined();
    expect(eventForChange({ kind: 'MODIFY', oldImage: item, newImage: item })).toBeUndefined();
  });

  it('builds events that satisfy the shared contracts', () => {
    for (const [change, type] of [
      [{ kind: 'INSERT', newImage: order }, 'order.placed'],
      [{ kind: 'INSERT', newImage: item }, 'item.created'],
      [{ kind: 'REMOVE', oldImage: item }, 'item.deleted'],
    ] as const) {
      const event = eventForChange(change);
      expect(parseEvent(JSON.stringify(event), [type])).toEqual(event);
    }
  });
});
