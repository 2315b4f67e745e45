import orderPlaced from '../../contracts/order.placed.json';
import itemUpdated from '../../contracts/item.updated.json';
import { eventForChange } from '../../src/domain';

// The samples in contracts/ are what consumers test against; these tests keep
// them equal to what this service's code really publishes.
describe('items-api published-event samples', () => {
  it('order.placed is what an accepted order row produces', () => {
    const { orderId, ...line } = orderPlaced.data;
    const row = { pk: `ORDER#${orderId}`, sk: 'ORDER', id: orderId, ...line, status: 'PENDING', createdAt: orderPlaced.occurredAt, updatedAt: orderPlaced.occurredAt };
    expect(eventForChange({ kind: 'INSERT', newImage: row })).toEqual(orderPlaced);
  });

  it('item.updated is what a new item version produces', () => {
    const { id, ...fields } = itemUpdated.data;
    const before = { pk: `ITEM#${id}`, sk: 'ITEM', id, ...fields, version: 1, createdAt: itemUpdated.occurredAt, updatedAt: itemUpdated.occurredAt };
    const after = { ...before, ...fields, updatedAt: itemUpdated.occurredAt };
    expect(eventForChange({ kind: 'MODIFY', oldImage: before, newImage: after })).toEqual(itemUpdated);
  });
});
