import { TransactionCancelledError, type Table } from '@platform/dynamo';
import { parseEvent, type DomainEvent, type EventOf } from '@platform/events';
import { contractSample } from '@platform/testing';
import confirmedSample from '../../contracts/order.confirmed.json';
import rejectedSample from '../../contracts/order.rejected.json';
import { OrderProcessor } from '../../src/domain';
import { ACCEPTED_EVENTS } from '../../src/handlers/process-orders';

const orderPlaced = JSON.parse(contractSample('items-api', 'order.placed')) as EventOf<'order.placed'>;

/** The processor's real code path, over a table stub that decides the outcome, publishing into a list. */
const publishedFor = async (outcome: 'CONFIRMED' | 'REJECTED'): Promise<DomainEvent[]> => {
  const published: DomainEvent[] = [];
  const table = {
    name: 'items',
    get: async (key: { pk: string }) =>
      key.pk.startsWith('ORDER#') ? { id: orderPlaced.data.orderId, status: 'PENDING' } : { id: orderPlaced.data.itemId, stock: 0 },
    transactWriteRetrying: async () => {
      if (outcome === 'REJECTED') throw new TransactionCancelledError(['ConditionalCheckFailed', 'None']);
    },
    update: async () => ({}),
  } as unknown as Table;
  await new OrderProcessor(table, { publish: async (event) => void published.push(event) }).process(orderPlaced);
  return published;
};

describe('order-processor contracts', () => {
  it('consumes items-api’s order.placed sample', () => {
    const sample = contractSample('items-api', 'order.placed');
    expect(parseEvent(sample, ACCEPTED_EVENTS)).toEqual(JSON.parse(sample));
  });

  it.each([
    ['CONFIRMED', confirmedSample],
    ['REJECTED', rejectedSample],
  ] as const)('publishes, for a %s order, the event its sample shows', async (outcome, sample) => {
    expect(await publishedFor(outcome)).toEqual([{ ...sample, occurredAt: expect.any(String) }]);
  });
});
