import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEvent } from '@platform/events';
import { ACCEPTED_EVENTS } from '../../src/handlers/notify-customers';

const producerSample = (service: string, type: string) =>
  readFileSync(path.join(__dirname, '../../..', service, 'contracts', `${type}.json`), 'utf8');

describe('notifier contracts', () => {
  it.each(['order.confirmed', 'order.rejected'])('consumes order-processor’s %s sample', (type) => {
    const sample = producerSample('order-processor', type);
    expect(parseEvent(sample, ACCEPTED_EVENTS)).toEqual(JSON.parse(sample));
  });

  it('does not accept order.placed (its subscription filters it out too)', () => {
    expect(() => parseEvent(producerSample('items-api', 'order.placed'), ACCEPTED_EVENTS)).toThrow(/Unexpected event type/);
  });
});
