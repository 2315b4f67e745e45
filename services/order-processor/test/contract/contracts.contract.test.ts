import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildEvent, parseEvent } from '@platform/events';
import confirmed from '../../contracts/order.confirmed.json';
import rejected from '../../contracts/order.rejected.json';
import { ACCEPTED_EVENTS } from '../../src/handlers/process-orders';

const producerSample = (service: string, type: string) =>
  readFileSync(path.join(__dirname, '../../..', service, 'contracts', `${type}.json`), 'utf8');

describe('order-processor contracts', () => {
  it('consumes items-api’s order.placed sample', () => {
    const sample = producerSample('items-api', 'order.placed');
    expect(parseEvent(sample, ACCEPTED_EVENTS)).toEqual(JSON.parse(sample));
  });

  it('publishes outcome events equal to its samples', () => {
    const { reason, ...line } = rejected.data;
    expect(buildEvent('order.confirmed', 'order-processor', confirmed.data, { id: confirmed.id, occurredAt: confirmed.occurredAt })).toEqual(confirmed);
    expect(
      buildEvent('order.rejected', 'order-processor', { ...line, reason: reason as 'OUT_OF_STOCK' }, { id: rejected.id, occurredAt: rejected.occurredAt }),
    ).toEqual(rejected);
  });
});
