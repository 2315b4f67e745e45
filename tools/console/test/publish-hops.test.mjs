// Events where they were published: the local IAM proxy records each SNS
// Publish or PublishBatch a function made (`publish` hops), and the console
// shows each event once, at its publish, subscribed to or not, with its
// deliveries after it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { marshall } from '@aws-sdk/util-dynamodb';
import { createRecorder } from '@platform/local-runtime/stack/recorder';
import { loadContracts } from '../lib/contracts.mjs';
import { createHopViews, flowEntries, groupFlows, summarizeFlow } from '../lib/hops.mjs';

const { EVENT_ENTITY_KEYS } = await loadContracts();

const SERVICES = ['event-bus', 'items-api', 'notifier', 'order-processor'];
const BUS = 'arn:aws:sns:us-east-1:000000000000:event-bus-local-domain-events';
const ITEM = 'item-1';
const FLOW = 'req-image-upload';

const envelope = (type, id, { source = 'items-api', correlationId = FLOW, data = { id: ITEM, name: 'Lamp', priceCents: 100, stock: 1 } } = {}) => ({
  id,
  type,
  version: 1,
  occurredAt: new Date(0).toISOString(),
  source,
  ...(correlationId && { correlationId }),
  data,
});

/** A message as the IAM proxy records it: the Message as sent, the attributes' values. */
const published = (event) => ({
  body: JSON.stringify(event),
  attributes: { type: event.type, eventId: event.id, ...(event.correlationId && { correlationId: event.correlationId }) },
});

/** The message a queue delivers for an event (raw delivery). */
const delivered = (event) => ({
  MessageId: `m-${event.id}`,
  Body: JSON.stringify(event),
  Attributes: { ApproximateReceiveCount: '1' },
  MessageAttributes: {
    type: { DataType: 'String', StringValue: event.type },
    eventId: { DataType: 'String', StringValue: event.id },
    ...(event.correlationId && { correlationId: { DataType: 'String', StringValue: event.correlationId } }),
  },
});

const STREAM = 'arn:aws:dynamodb:us-east-1:000000000000:table/items-api-local-items/stream/x';
const row = (correlationId = FLOW) => ({ eventSource: 'aws:dynamodb', eventSourceARN: STREAM, eventName: 'MODIFY', dynamodb: { Keys: marshall({ pk: `ITEM#${ITEM}`, sk: 'ITEM' }), NewImage: marshall({ pk: `ITEM#${ITEM}`, sk: 'ITEM', id: ITEM, correlationId }) } });

/** A request, the table write it made, and the outbox relay that ran for it (the relay's publish comes separately). */
const requestHops = (flow = FLOW, at = 1000) => [
  { kind: 'http', at, requestId: flow, method: 'PATCH', path: `/items/${ITEM}`, status: 200, durationMs: 20, service: 'items-api', functionName: 'items-api-local-updateItem' },
  {
    kind: 'invoke',
    at: at + 1,
    functionName: 'items-api-local-updateItem',
    durationMs: 18,
    event: { requestContext: { requestId: flow, http: { method: 'PATCH' } }, rawPath: `/items/${ITEM}`, routeKey: 'PATCH /items/{id}' },
    result: { ok: true, payload: { statusCode: 200, body: JSON.stringify({ id: ITEM }) } },
  },
  { kind: 'stream', at: at + 30, functionName: 'items-api-local-publishDomainEvents', streamArn: STREAM, record: row(flow), retry: false },
  {
    kind: 'invoke',
    at: at + 30,
    functionName: 'items-api-local-publishDomainEvents',
    durationMs: 10,
    event: { Records: [row(flow)] },
    result: { ok: true, payload: { batchItemFailures: [] } },
  },
];

const views = (hops) => {
  const recorder = createRecorder();
  for (const hop of hops) recorder.record(hop);
  const { view } = createHopViews({ services: SERVICES, entityKeys: EVENT_ENTITY_KEYS });
  return recorder.hops().map(view);
};

/** The entries of one flow, as the console's server makes them. */
const entriesOf = (hops, flow) => {
  const flows = groupFlows(views(hops));
  const own = flows.get(flow);
  assert.ok(own, `no flow ${flow} among ${[...flows.keys()].join(', ')}`);
  return flowEntries(own, flow);
};

describe('published events', () => {
  it('shows an event no queue subscribes to once, in its flow, published by the relay that ran', () => {
    const updated = envelope('item.updated', `item.updated:${ITEM}:2`);
    const entries = entriesOf([...requestHops(), { kind: 'publish', at: 1035, functionName: 'items-api-local-publishDomainEvents', topicArn: BUS, messages: [published(updated)] }], FLOW);
    assert.deepEqual(
      entries.map((entry) => entry.kind),
      ['http', 'invoke', 'stream', 'invoke', 'event'],
    );
    const events = entries.filter((entry) => entry.kind === 'event');
    assert.equal(events.length, 1);
    assert.equal(events[0]?.title, `event item.updated item.updated:${ITEM}:2 on the bus, published by publishDomainEvents`);
    assert.equal(events[0]?.at, 1035);
    assert.deepEqual(events[0]?.entityKeys, { itemId: [ITEM] });
    assert.deepEqual(entries[3]?.nextEvents, [`item.updated item.updated:${ITEM}:2`]);
  });

  it('shows an event published and delivered once, at its publish, with its delivery after it', () => {
    const updated = envelope('item.updated', `item.updated:${ITEM}:2`);
    const hops = [
      ...requestHops(),
      { kind: 'publish', at: 1035, functionName: 'items-api-local-publishDomainEvents', topicArn: BUS, messages: [published(updated)] },
      { kind: 'sqs', at: 1050, functionName: 'notifier-local-watchItems', queueArn: 'arn:aws:sqs:us-east-1:000000000000:notifier-local-items', message: delivered(updated), retry: false },
      { kind: 'sqs', at: 1060, functionName: 'order-processor-local-watchItems', queueArn: 'arn:aws:sqs:us-east-1:000000000000:order-processor-local-items', message: delivered(updated), retry: false },
    ];
    const entries = entriesOf(hops, FLOW);
    assert.deepEqual(
      entries.map((entry) => entry.kind),
      ['http', 'invoke', 'stream', 'invoke', 'event', 'sqs', 'sqs'],
    );
    assert.equal(entries[4]?.at, 1035);
    assert.match(String(entries[4]?.title), /published by publishDomainEvents$/);
    assert.deepEqual(entries[3]?.nextEvents, [`item.updated item.updated:${ITEM}:2`]);
  });

  it('shows a PublishBatch of two flows’ events in both, each flow its own event', () => {
    const first = envelope('item.updated', 'item.updated:a:1', { correlationId: 'flow-a', data: { id: 'a' } });
    const second = envelope('item.updated', 'item.updated:b:1', { correlationId: 'flow-b', data: { id: 'b' } });
    const hops = [
      { kind: 'http', at: 1000, requestId: 'flow-a', method: 'PATCH', path: '/items/a', status: 200, durationMs: 5 },
      { kind: 'http', at: 1001, requestId: 'flow-b', method: 'PATCH', path: '/items/b', status: 200, durationMs: 5 },
      { kind: 'publish', at: 1040, functionName: 'items-api-local-publishDomainEvents', topicArn: BUS, messages: [published(first), published(second)] },
    ];
    const flows = groupFlows(views(hops));
    for (const [flow, event] of [
      ['flow-a', first],
      ['flow-b', second],
    ]) {
      const own = flows.get(flow);
      assert.ok(own);
      const events = flowEntries(own, flow).filter((entry) => entry.kind === 'event');
      assert.deepEqual(
        events.map((entry) => entry.facts?.eventId),
        [event.id],
        flow,
      );
      assert.equal(summarizeFlow(flow, own).entityKeys.itemId?.[0], event.data.id);
    }
  });

  it('puts an event without a correlation id in the flow of its subject, and a raw message in the flow of the invocation that sent it', () => {
    const updated = envelope('item.updated', `item.updated:${ITEM}:3`, { correlationId: '' });
    const notification = { body: 'Your order is confirmed.', attributes: { recipient: 'ada@example.com' }, subject: 'Order confirmed' };
    const hops = [
      ...requestHops(),
      { kind: 'publish', at: 1036, functionName: 'items-api-local-publishDomainEvents', topicArn: BUS, messages: [published(updated)] },
      {
        kind: 'invoke',
        at: 1100,
        functionName: 'notifier-local-notifyCustomers',
        durationMs: 20,
        event: { Records: [{ eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:notifier-local-q', messageId: 'm1', body: JSON.stringify(envelope('item.updated', 'x', { data: { id: ITEM } })), messageAttributes: {} }] },
        result: { ok: true, payload: { batchItemFailures: [] } },
      },
      { kind: 'publish', at: 1110, functionName: 'notifier-local-notifyCustomers', topicArn: 'arn:aws:sns:us-east-1:000000000000:notifier-local-customer-notifications', messages: [notification] },
    ];
    assert.deepEqual([...groupFlows(views(hops)).keys()], [FLOW]);
    const entries = entriesOf(hops, FLOW);
    assert.deepEqual(
      entries.map((entry) => entry.kind),
      ['http', 'invoke', 'stream', 'invoke', 'event', 'invoke', 'publish'],
    );
    const raw = entries.at(-1);
    assert.equal(raw?.title, 'published a message "Order confirmed" to notifier-local-customer-notifications');
    assert.deepEqual(raw?.events, []);
    assert.match(String(raw?.details.find(([term]) => term === 'message')?.[1]), /Your order is confirmed\. \(attributes recipient=ada@example.com\)/);
  });

  it('puts a raw message in no flow when several invocations of its function ran then: it cannot be told whose', () => {
    const run = (flow, at) => ({
      kind: 'invoke',
      at,
      functionName: 'notifier-local-notifyCustomers',
      durationMs: 100,
      event: { Records: [{ eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:notifier-local-q', messageId: flow, body: JSON.stringify(envelope('item.updated', `e-${flow}`, { correlationId: flow })), messageAttributes: {} }] },
      result: { ok: true, payload: { batchItemFailures: [] } },
    });
    const hops = [run('flow-a', 1000), run('flow-b', 1010), { kind: 'publish', at: 1050, functionName: 'notifier-local-notifyCustomers', topicArn: 'arn:aws:sns:us-east-1:000000000000:notices', messages: [{ body: 'hello', attributes: {} }] }];
    const flows = groupFlows(views(hops));
    assert.deepEqual([...flows.keys()], ['flow-a', 'flow-b', 'hop:3']);
    assert.deepEqual(flowEntries(flows.get('hop:3') ?? [], 'hop:3').map((entry) => entry.kind), ['publish']);
  });

  it('shows an event published again as its publish, and a replay as before, with no second event entry', () => {
    const updated = envelope('item.updated', `item.updated:${ITEM}:2`);
    const hops = [
      ...requestHops(),
      { kind: 'publish', at: 1035, functionName: 'items-api-local-publishDomainEvents', topicArn: BUS, messages: [published(updated)] },
      { kind: 'publish', at: 1038, functionName: 'items-api-local-publishDomainEvents', topicArn: BUS, messages: [published(updated)] },
      { kind: 'replay', at: 2000, event: updated, messageId: 'sns-1', edited: false },
      { kind: 'sqs', at: 2010, functionName: 'notifier-local-watchItems', queueArn: 'arn:aws:sqs:us-east-1:000000000000:notifier-local-items', message: delivered(updated), retry: false },
    ];
    const entries = entriesOf(hops, FLOW);
    assert.deepEqual(
      entries.map((entry) => entry.kind),
      ['http', 'invoke', 'stream', 'invoke', 'event', 'publish', 'replay', 'sqs'],
    );
    assert.equal(entries.filter((entry) => entry.kind === 'event').length, 1);
  });
});
