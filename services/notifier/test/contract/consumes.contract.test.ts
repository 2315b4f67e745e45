import { parseEvent } from '@platform/events';
import { contractSample } from '@platform/testing';
import { ACCEPTED_EVENTS } from '../../src/handlers/notify-customers';

describe('notifier contracts', () => {
  it.each(['order.confirmed', 'order.rejected'])('consumes order-processor’s %s sample', (type) => {
    const sample = contractSample('order-processor', type);
    expect(parseEvent(sample, ACCEPTED_EVENTS)).toEqual(JSON.parse(sample));
  });

  it('does not accept order.placed (its subscription filters it out too)', () => {
    expect(() => parseEvent(contractSample('order-processor', 'order.placed'), ACCEPTED_EVENTS)).toThrow(/Unexpected event type/);
  });
});
