import { parseEvent } from '@platform/events';
import { contractSample } from '@platform/testing';
import confirmedSample from '../../contracts/order.confirmed.json';
import placedSample from '../../contracts/order.placed.json';
import rejectedSample from '../../contracts/order.rejected.json';
import { eventForChange } from '../../src/adapters/outbox';
import { ACCEPTED_EVENTS } from '../../src/handlers/settle-orders';

// Both sides of every edge: the samples in contracts/ are what this service's
// code really publishes, and what it consumes is its producers' samples.
const { orderId, ...line } = placedSample.data;
// The flow's correlation id, as the write stamped it on the row and the stream hands it to the relay.
const { correlationId } = placedSample;
const pending = { pk: `ORDER#${orderId}`, sk: 'ORDER', id: orderId, ...line, status: 'PENDING', createdAt: placedSample.occurredAt, updatedAt: placedSample.occurredAt, correlationId };

describe('order-processor contracts', () => {
  it.each(['stock.reserved', 'stock.rejected'])('consumes items-api’s %s sample', (type) => {
    const sample = contractSample('items-api', type);
    expect(parseEvent(sample, ACCEPTED_EVENTS)).toEqual(JSON.parse(sample));
  });

  it('publishes order.placed, for an accepted order, as its sample shows', () => {
    expect(eventForChange({ kind: 'INSERT', newImage: pending, correlationId })).toEqual(placedSample);
  });

  it.each([
    ['CONFIRMED', confirmedSample, {}],
    ['REJECTED', rejectedSample, { reason: 'OUT_OF_STOCK' }],
  ] as const)('publishes, for a %s order, the event its sample shows', (status, sample, extra) => {
    const decided = { ...pending, status, ...extra, updatedAt: sample.occurredAt };
    expect(eventForChange({ kind: 'MODIFY', oldImage: pending, newImage: decided, correlationId: sample.correlationId })).toEqual(sample);
  });
});
