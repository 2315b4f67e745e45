import { parseEvent } from '@platform/events';
import { eventForChange } from '../../src/adapters/outbox';

const at = '2026-01-01T00:00:00.000Z';
const item = { pk: 'ITEM#i1', sk: 'ITEM', id: 'i1', name: 'pen', priceCents: 120, stock: 5, version: 1, createdAt: at, updatedAt: at };
const reservation = { pk: 'RESERVATION#o1', sk: 'RESERVATION', orderId: 'o1', itemId: 'i1', quantity: 2, status: 'RESERVED', createdAt: at };

describe('eventForChange (the items table outbox)', () => {
  it('turns item rows into item.created, item.updated (per version) and item.deleted', () => {
    expect(eventForChange({ kind: 'INSERT', newImage: item })).toMatchObject({ type: 'item.created', id: 'item.created:i1' });
    const updated = { ...item, stock: 3, version: 2 };
    expect(eventForChange({ kind: 'MODIFY', oldImage: item, newImage: updated })).toMatchObject({
      type: 'item.updated',
      id: 'item.updated:i1:2',
      data: { id: 'i1', stock: 3, version: 2 },
    });
    expect(eventForChange({ kind: 'REMOVE', oldImage: item })).toMatchObject({ type: 'item.deleted', data: { id: 'i1' } });
    expect(eventForChange({ kind: 'MODIFY', oldImage: item, newImage: item })).toBeUndefined();
  });

  it('dates item.deleted at the delete (the time it stamped on the row), not at publishing', () => {
    const deletedAt = '2026-02-03T04:05:06.789Z';
    expect(eventForChange({ kind: 'REMOVE', oldImage: { ...item, deletedAt } })).toMatchObject({ type: 'item.deleted', occurredAt: deletedAt, data: { id: 'i1' } });
    // The stamp alone, with no new version, is no event.
    expect(eventForChange({ kind: 'MODIFY', oldImage: item, newImage: { ...item, deletedAt } })).toBeUndefined();
  });

  it('turns a reservation row into stock.reserved or stock.rejected, with an id derived from the order', () => {
    expect(eventForChange({ kind: 'INSERT', newImage: reservation })).toEqual({
      id: 'stock.reserved:o1',
      type: 'stock.reserved',
      version: 1,
      occurredAt: at,
      source: 'items-api',
      data: { orderId: 'o1', itemId: 'i1', quantity: 2 },
    });
    const rejected = { ...reservation, status: 'REJECTED', reason: 'ITEM_NOT_FOUND' };
    expect(eventForChange({ kind: 'INSERT', newImage: rejected })).toMatchObject({
      id: 'stock.rejected:o1',
      data: { orderId: 'o1', itemId: 'i1', quantity: 2, reason: 'ITEM_NOT_FOUND' },
    });
    // The answer never changes; its row expiring or being removed is no event.
    expect(eventForChange({ kind: 'REMOVE', oldImage: reservation })).toBeUndefined();
  });

  it('puts the correlation id of the write on its event; a delete has none', () => {
    const flow = 'Yp4lKhOtIAMEVXg=';
    expect(eventForChange({ kind: 'INSERT', newImage: reservation, correlationId: flow })?.correlationId).toBe(flow);
    expect(eventForChange({ kind: 'INSERT', newImage: item, correlationId: flow })?.correlationId).toBe(flow);
    expect(eventForChange({ kind: 'MODIFY', oldImage: item, newImage: { ...item, version: 2 }, correlationId: flow })?.correlationId).toBe(flow);
    expect(eventForChange({ kind: 'REMOVE', oldImage: { ...item, correlationId: 'an-earlier-write' } })).not.toHaveProperty('correlationId');
  });

  it('builds events that satisfy the shared contracts', () => {
    for (const [change, type] of [
      [{ kind: 'INSERT', newImage: reservation }, 'stock.reserved'],
      [{ kind: 'INSERT', newImage: item }, 'item.created'],
      [{ kind: 'REMOVE', oldImage: item }, 'item.deleted'],
    ] as const) {
      const event = eventForChange(change);
      expect(parseEvent(JSON.stringify(event), [type])).toEqual(event);
    }
  });
});
