import { buildEvent, EVENT_PRODUCERS, EVENT_TYPES, EventSchemas, InvalidEventError, parseEvent } from '../src';

const placed = buildEvent('order.placed', 'order-processor', {
  orderId: 'o1',
  itemId: 'i1',
  quantity: 2,
  customerEmail: 'ada@example.com',
});

describe('event contracts', () => {
  it('builds envelopes with every field of the contract', () => {
    expect(placed).toEqual({
      id: expect.any(String),
      type: 'order.placed',
      version: 1,
      occurredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      source: 'order-processor',
      data: { orderId: 'o1', itemId: 'i1', quantity: 2, customerEmail: 'ada@example.com' },
    });
    expect(EventSchemas['order.placed'].parse(placed)).toEqual(placed);
  });

  it('carries the flow’s correlation id when it has one, and no such key when it has none', () => {
    const inFlow = buildEvent('order.placed', 'order-processor', placed.data, { id: 'order.placed:o1', correlationId: 'Yp4lKhOtIAMEVXg=' });
    expect(inFlow.correlationId).toBe('Yp4lKhOtIAMEVXg=');
    expect(parseEvent(JSON.stringify(inFlow), ['order.placed'])).toEqual(inFlow);
    expect('correlationId' in placed).toBe(false);
    expect(() => parseEvent(JSON.stringify({ ...inFlow, correlationId: '' }), ['order.placed'])).toThrow(/correlationId/);
    expect(() => parseEvent(JSON.stringify({ ...inFlow, correlationId: 'x'.repeat(129) }), ['order.placed'])).toThrow(/correlationId/);
  });

  it('has a schema for each of the eight event types', () => {
    expect(EVENT_TYPES.sort()).toEqual(
      ['item.created', 'item.deleted', 'item.updated', 'order.confirmed', 'order.placed', 'order.rejected', 'stock.rejected', 'stock.reserved'].sort(),
    );
  });

  it('names one producer per type, and refuses an envelope whose source is any other (issue 13: a forged order.placed)', () => {
    expect(Object.keys(EVENT_PRODUCERS).sort()).toEqual([...EVENT_TYPES].sort());
    for (const source of ['items-api', 'notifier', 'order-processor ', '']) {
      expect(() => parseEvent(JSON.stringify({ ...placed, source }), ['order.placed'])).toThrow(InvalidEventError);
    }
    expect(() => parseEvent(JSON.stringify({ ...placed, source: 'items-api' }), ['order.placed'])).toThrow(/source/);
  });

  it('parses a raw-delivery SQS body of an accepted type', () => {
    expect(parseEvent(JSON.stringify(placed), ['order.placed'])).toEqual(placed);
  });

  it.each([
    ['not JSON', '{oops', /not JSON/],
    ['JSON null', 'null', /Unexpected event type/],
    ['a type the consumer does not accept', JSON.stringify({ ...placed, type: 'order.confirmed' }), /Unexpected event type "order.confirmed"/],
    ['a missing type', JSON.stringify({ ...placed, type: undefined }), /Unexpected event type/],
    ['a wrong field type', JSON.stringify({ ...placed, data: { ...placed.data, quantity: '2' } }), /data.quantity/],
    ['a bad e-mail', JSON.stringify({ ...placed, data: { ...placed.data, customerEmail: 'nope' } }), /data.customerEmail/],
    ['an unknown version', JSON.stringify({ ...placed, version: 2 }), /version/],
    ['an SNS envelope instead of raw delivery', JSON.stringify({ Type: 'Notification', Message: JSON.stringify(placed) }), /Unexpected event type/],
  ])('rejects %s', (_, body, message) => {
    expect(() => parseEvent(body, ['order.placed'])).toThrow(InvalidEventError);
    expect(() => parseEvent(body, ['order.placed'])).toThrow(message);
  });

  it('requires a reason on order.rejected', () => {
    const rejected = buildEvent('order.rejected', 'order-processor', { ...placed.data, reason: 'OUT_OF_STOCK' });
    expect(parseEvent(JSON.stringify(rejected), ['order.rejected'])).toEqual(rejected);
    const { reason: _reason, ...withoutReason } = rejected.data;
    expect(() => parseEvent(JSON.stringify({ ...rejected, data: withoutReason }), ['order.rejected'])).toThrow(/reason/);
  });
});
