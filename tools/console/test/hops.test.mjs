// The recorder's ring buffer, and what the console makes of hops: views,
// flows by correlation id (else by the entity keys the contracts declare, or
// the event id), search and filters.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { marshall } from '@aws-sdk/util-dynamodb';
import { createRecorder } from '@platform/local-runtime/stack/recorder';
import { loadContracts } from '../lib/contracts.mjs';
import { createHopViews, flowEntries, groupFlows, searchFlows } from '../lib/hops.mjs';

// The entity keys libs/events declares, as the console loads them.
const { EVENT_ENTITY_KEYS } = await loadContracts();

const SERVICES = ['event-bus', 'items-api', 'notifier', 'order-processor'];
const ORDER = '0d6f6a3e-order';
const FLOW = 'Yp4lKhOtIAMEVXg=';

const message = (type, id, { correlationId = FLOW, receiveCount = 1, data = { orderId: ORDER } } = {}) => ({
  MessageId: `m-${id}`,
  Body: JSON.stringify({ id, type, version: 1, occurredAt: new Date(0).toISOString(), source: 'order-processor', ...(correlationId && { correlationId }), data }),
  Attributes: { ApproximateReceiveCount: String(receiveCount) },
  MessageAttributes: {
    type: { DataType: 'String', StringValue: type },
    eventId: { DataType: 'String', StringValue: id },
    ...(correlationId && { correlationId: { DataType: 'String', StringValue: correlationId } }),
  },
});

const streamRecord = (image, eventName = 'INSERT') => ({
  eventName,
  dynamodb: { Keys: marshall({ pk: image.pk, sk: image.sk }), NewImage: marshall(image), SequenceNumber: '100' },
});

/** The hops one order makes, as the gateway, invoker and pollers record them (shortened). */
const orderHops = () => [
  { kind: 'http', at: 1000, requestId: FLOW, method: 'POST', path: '/orders', status: 202, durationMs: 20, service: 'order-processor', functionName: 'order-processor-local-placeOrder' },
  {
    kind: 'invoke',
    at: 1001,
    functionName: 'order-processor-local-placeOrder',
    durationMs: 18,
    event: { requestContext: { requestId: FLOW, http: { method: 'POST' } }, rawPath: '/orders', routeKey: 'POST /orders' },
    result: { ok: true, payload: { statusCode: 202, body: JSON.stringify({ orderId: ORDER, status: 'PENDING' }) } },
  },
  {
    kind: 'stream',
    at: 1030,
    functionName: 'order-processor-local-publishOrderEvents',
    streamArn: 'arn:aws:dynamodb:us-east-1:000000000000:table/order-processor-local-orders/stream/x',
    record: streamRecord({ pk: `ORDER#${ORDER}`, sk: 'ORDER', status: 'PENDING', correlationId: FLOW }),
    retry: false,
  },
  {
    kind: 'invoke',
    at: 1030,
    functionName: 'order-processor-local-publishOrderEvents',
    durationMs: 5,
    event: { Records: [{ eventSource: 'aws:dynamodb', eventSourceARN: 'arn:aws:dynamodb:us-east-1:000000000000:table/order-processor-local-orders/stream/x', ...streamRecord({ pk: `ORDER#${ORDER}`, sk: 'ORDER', correlationId: FLOW }) }] },
    result: { ok: true, payload: { batchItemFailures: [] } },
  },
  {
    kind: 'sqs',
    at: 1040,
    functionName: 'items-api-local-reserveStock',
    queueArn: 'arn:aws:sqs:us-east-1:000000000000:items-api-local-order-placed',
    message: message('order.placed', `order.placed:${ORDER}`),
    retry: false,
  },
];

describe('the recorder', () => {
  it('keeps the last `capacity` hops, in order, and tells subscribers of each', () => {
    const recorder = createRecorder({ capacity: 3 });
    const heard = [];
    const stop = recorder.subscribe((hop) => heard.push(hop.seq));
    for (let i = 0; i < 5; i += 1) recorder.record({ kind: 'http', at: i });
    stop();
    recorder.record({ kind: 'http', at: 5 });
    assert.deepEqual(recorder.hops().map((hop) => hop.seq), [4, 5, 6]);
    assert.deepEqual(recorder.hops({ after: 4 }).map((hop) => hop.at), [4, 5]);
    assert.deepEqual(heard, [1, 2, 3, 4, 5]);
    assert.equal(recorder.total, 6);
  });
});

describe('hop views and flows', () => {
  const record = (hops) => {
    const recorder = createRecorder();
    for (const hop of hops) recorder.record(hop);
    const { view } = createHopViews({ services: SERVICES, entityKeys: EVENT_ENTITY_KEYS });
    return recorder.hops().map(view);
  };

  it('groups an order by its correlation id, events after the relay that published them', () => {
    const views = record(orderHops());
    const flows = groupFlows(views);
    assert.deepEqual([...flows.keys()], [FLOW]);
    const entries = flowEntries(/** @type {any} */ (flows.get(FLOW)));
    assert.deepEqual(
      entries.map((entry) => `${entry.kind} ${entry.service ?? ''}`),
      ['http order-processor', 'invoke order-processor', 'stream order-processor', 'invoke order-processor', 'event order-processor', 'sqs items-api'],
    );
    assert.deepEqual(entries[3].nextEvents, [`order.placed order.placed:${ORDER}`]);
    assert.match(entries[2].title, /INSERT pk=ORDER#0d6f6a3e-order sk=ORDER → PENDING/);
  });

  it('puts a hop without a correlation id in the flow of the order it names', () => {
    const views = record([...orderHops(), { kind: 'sqs', at: 2000, functionName: 'notifier-local-notifyCustomers', queueArn: 'arn:aws:sqs:us-east-1:000000000000:notifier-local-order-outcomes', message: message('order.confirmed', `order.confirmed:${ORDER}`, { correlationId: '' }), retry: false }]);
    assert.deepEqual([...groupFlows(views).keys()], [FLOW]);
    const lone = record([{ kind: 'sqs', at: 1, functionName: 'items-api-local-reserveStock', queueArn: 'arn:aws:sqs:us-east-1:000000000000:q', message: { MessageId: 'x', Body: 'not json', MessageAttributes: { eventId: { StringValue: 'poison-1' }, type: { StringValue: 'order.placed' } } }, retry: true, reason: 'reported failures' }]);
    assert.deepEqual([...groupFlows(lone).keys()], ['event:poison-1']);
    assert.equal(lone[0]?.failed, true);
  });

  it('finds flows by order id, request id or event id, and filters by service and failure', () => {
    const views = record(orderHops());
    for (const q of [ORDER, FLOW.toLowerCase(), `order.placed:${ORDER}`]) assert.equal(searchFlows(views, { q }).length, 1, q);
    assert.equal(searchFlows(views, { q: 'nothing-like-it' }).length, 0);
    assert.equal(searchFlows(views, { service: 'notifier' }).length, 0);
    assert.equal(searchFlows(views, { service: 'items-api' }).length, 1);
    assert.equal(searchFlows(views, { failedOnly: true }).length, 0);
    const [flow] = searchFlows(views, {});
    assert.equal(flow?.status, 'PENDING');
    assert.deepEqual(flow?.entityKeys, { orderId: [ORDER] });
    assert.equal(flow?.title, 'POST /orders → 202');
  });

  it('counts a partial batch failure as a failed invocation', () => {
    const [view] = record([
      {
        kind: 'invoke',
        at: 1,
        functionName: 'items-api-local-reserveStock',
        durationMs: 3,
        event: { Records: [{ eventSource: 'aws:sqs', eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:items-api-local-order-placed', messageId: 'a', body: '{}' }] },
        result: { ok: true, payload: { batchItemFailures: [{ itemIdentifier: 'a' }] } },
      },
    ]);
    assert.equal(view?.failed, true);
    assert.deepEqual(view?.facts?.batchItemFailures, ['a']);
    assert.equal(view?.function, 'reserveStock');
    assert.equal(view?.service, 'items-api');
  });
});
