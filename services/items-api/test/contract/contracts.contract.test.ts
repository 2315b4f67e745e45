import { parseEvent } from '@platform/events';
import { contractSample } from '@platform/testing';
import itemUpdated from '../../contracts/item.updated.json';
import stockRejected from '../../contracts/stock.rejected.json';
import stockReserved from '../../contracts/stock.reserved.json';
import { eventForChange } from '../../src/adapters/outbox';
import { ACCEPTED_EVENTS } from '../../src/handlers/reserve-stock';

// Both sides of every edge: the samples in contracts/ are what this service's
// code really publishes, and what it consumes is its producers' samples.
describe('items-api contracts', () => {
  it('consumes order-processor’s order.placed sample', () => {
    const sample = contractSample('order-processor', 'order.placed');
    expect(parseEvent(sample, ACCEPTED_EVENTS)).toEqual(JSON.parse(sample));
  });

  it.each([
    ['RESERVED', stockReserved],
    ['REJECTED', stockRejected],
  ] as const)('publishes, for a %s answer, the event its sample shows', (status, sample) => {
    const { orderId, itemId, quantity } = sample.data;
    const { correlationId } = sample;
    const row = { pk: `RESERVATION#${orderId}`, sk: 'RESERVATION', orderId, itemId, quantity, status, createdAt: sample.occurredAt, ...(status === 'REJECTED' && { reason: 'OUT_OF_STOCK' }), correlationId };
    expect(eventForChange({ kind: 'INSERT', newImage: row, correlationId })).toEqual(sample);
  });

  it('item.updated is what a new item version produces', () => {
    const { id, ...fields } = itemUpdated.data;
    const before = { pk: `ITEM#${id}`, sk: 'ITEM', id, ...fields, version: 1, createdAt: itemUpdated.occurredAt, updatedAt: itemUpdated.occurredAt };
    const after = { ...before, ...fields, updatedAt: itemUpdated.occurredAt, correlationId: itemUpdated.correlationId };
    expect(eventForChange({ kind: 'MODIFY', oldImage: before, newImage: after, correlationId: itemUpdated.correlationId })).toEqual(itemUpdated);
  });
});
