// The recorder's ring buffer, and what the console makes of hops: views,
// flows by correlation id (else by the entity keys the contracts declare, or
// the event id), search and filters.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { marshall } from '@aws-sdk/util-dynamodb';
import { createRecorder } from '@platform/local-runtime/stack/recorder';
import { loadContracts } from '../lib/contracts.mjs';
import { createHopViews, flowEntries, groupFlows, searchFlows, summarizeFlow } from '../lib/hops.mjs';

// The entity keys libs/events declares, and its schemas, as the console loads them.
const { EVENT_ENTITY_KEYS, EventSchemas } = await loadContracts();

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

  it('shows the Node an invocation ran on beside the runtime it deploys to', () => {
    const [, invoked] = record(orderHops().slice(0, 2).map((hop) => (hop.kind === 'invoke' ? { ...hop, runtime: { node: 'v22.23.2', deployed: 'nodejs22.x' } } : hop)));
    assert.deepEqual(invoked?.details.find(([label]) => label === 'runtime'), ['runtime', 'node v22.23.2 (deploys to nodejs22.x)']);
    assert.deepEqual(invoked?.facts?.runtime, { node: 'v22.23.2', deployed: 'nodejs22.x' });
    const [, unreported] = record(orderHops().slice(0, 2));
    assert.equal(unreported?.details.find(([label]) => label === 'runtime'), undefined);
  });
});

describe('what the flow list and header say', () => {
  const dataSchemas = Object.fromEntries(Object.entries(EventSchemas).map(([type, schema]) => [type, schema.shape?.data]));
  const record = (hops) => {
    const recorder = createRecorder();
    for (const hop of hops) recorder.record(hop);
    const { view } = createHopViews({ services: SERVICES, entityKeys: EVENT_ENTITY_KEYS, dataSchemas });
    return recorder.hops().map(view);
  };
  const summaryOf = (views, id) => summarizeFlow(id, /** @type {any} */ (groupFlows(views).get(id)));

  it('names the entity a POST created, by the key name the contracts give it', () => {
    const views = record(orderHops());
    assert.deepEqual(summaryOf(views, FLOW).created, { name: 'orderId', value: ORDER });
  });

  it('names the entity an answer is, when the answer holds it under `id` as its contract’s data does', () => {
    const ITEM_FLOW = 'item-flow-request';
    const item = { id: 'item-42', name: 'pen', priceCents: 120, stock: 5, version: 1, createdAt: 'x', updatedAt: 'x' };
    const views = record([
      { kind: 'http', at: 1, requestId: ITEM_FLOW, method: 'POST', path: '/items', status: 201, durationMs: 9, service: 'items-api', functionName: 'items-api-local-createItem' },
      {
        kind: 'invoke',
        at: 2,
        functionName: 'items-api-local-createItem',
        durationMs: 7,
        event: { requestContext: { requestId: ITEM_FLOW, http: { method: 'POST' } }, rawPath: '/items', routeKey: 'POST /items' },
        result: { ok: true, payload: { statusCode: 201, body: JSON.stringify(item) } },
      },
    ]);
    assert.deepEqual(summaryOf(views, ITEM_FLOW).created, { name: 'itemId', value: 'item-42' });
  });

  it('names nothing a GET or a failed POST created', () => {
    const [http, invoke] = orderHops();
    const get = record([{ ...http, method: 'GET', path: `/orders/${ORDER}`, status: 200 }, invoke]);
    assert.equal(summaryOf(get, FLOW).created, undefined);
    const failed = record([{ ...http, status: 500, failure: 'timeout' }, { ...invoke, result: { ok: false, kind: 'timeout', error: 'the function ran past its timeout of 6 s' } }]);
    assert.equal(summaryOf(failed, FLOW).created, undefined);
  });

  it("lists in a flow's header only its own ids, not those of other flows a shared batch carried", () => {
    const OTHER = 'other-flow';
    const THIRD = 'third-flow';
    const record3 = (orderId, correlationId) => ({
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:order-processor-local-stock-answers',
      messageId: `m-${orderId}`,
      body: JSON.stringify({ id: `stock.reserved:${orderId}`, type: 'stock.reserved', source: 'items-api', correlationId, data: { orderId, itemId: 'item-1', quantity: 1 } }),
      messageAttributes: { correlationId: { stringValue: correlationId } },
    });
    const views = record([
      ...orderHops(),
      {
        kind: 'invoke',
        at: 1100,
        functionName: 'order-processor-local-settleOrders',
        durationMs: 12,
        event: { Records: [record3(ORDER, FLOW), record3('order-2', OTHER), record3('order-3', THIRD)] },
        result: { ok: true, payload: { batchItemFailures: [] } },
      },
    ]);
    const flows = groupFlows(views);
    // The batch's invocation shows in each of the three flows...
    for (const id of [FLOW, OTHER, THIRD]) assert.ok(flows.get(id)?.some((hop) => hop.function === 'settleOrders'), id);
    // ...but each flow's header names only its own order.
    assert.deepEqual(summaryOf(views, FLOW).entityKeys, { orderId: [ORDER], itemId: ['item-1'] });
    assert.deepEqual(summaryOf(views, OTHER).entityKeys, { orderId: ['order-2'], itemId: ['item-1'] });
  });

  it('shows what the client got when the function timed out: a 500, timeout; never serverless-offline’s [504]', () => {
    const [http, invoke] = orderHops();
    const views = record([
      { ...http, status: 500, durationMs: 6012, failure: 'timeout', why: 'order-processor-local-placeOrder timed out (the function ran past its timeout of 6 s)', writes: 'wrote nothing' },
      { ...invoke, durationMs: 6010, result: { ok: false, kind: 'timeout', error: 'the function ran past its timeout of 6 s' } },
    ]);
    const [request, invocation] = views;
    assert.equal(request?.title, 'POST /orders → 500 timeout (6012 ms)');
    assert.deepEqual(request?.details.slice(2), [
      ['why', 'order-processor-local-placeOrder timed out (the function ran past its timeout of 6 s)'],
      ['writes', 'wrote nothing'],
    ]);
    assert.equal(invocation?.title, 'invoked by POST /orders: 500 (timeout) (6010 ms)');
    assert.deepEqual(invocation?.details.find(([term]) => term === 'result'), ['result', 'the client got 500']);
    assert.ok(!JSON.stringify(views).includes('[504]'));
    assert.equal(summaryOf(views, FLOW).title, 'POST /orders → 500 timeout');
  });

  it('shows a scheduled run as a flow of its own: the schedule, then the invocation it started', () => {
    const views = record([
      { kind: 'schedule', at: 5, functionName: 'order-processor-local-findStuckOrders', name: 'order-processor-local-FindStuckOrdersEventsRuleSchedule1', expression: 'rate(5 minutes)', runId: 'run-1', attempt: 1, event: {} },
      { kind: 'invoke', at: 6, functionName: 'order-processor-local-findStuckOrders', durationMs: 30, event: { 'detail-type': 'Scheduled Event', id: 'run-1' }, trigger: { kind: 'schedule', id: 'run-1' }, result: { ok: true, payload: { stuck: 0 } } },
    ]);
    const flows = groupFlows(views);
    assert.deepEqual([...flows.keys()], ['schedule:run-1']);
    const entries = flowEntries(/** @type {any} */ (flows.get('schedule:run-1')));
    assert.deepEqual(
      entries.map((entry) => `${entry.kind} ${entry.function}: ${entry.title}`),
      ['schedule findStuckOrders: schedule rate(5 minutes) started a run', 'invoke findStuckOrders: invoked by a schedule: ok (30 ms)'],
    );
    assert.equal(summaryOf(views, 'schedule:run-1').title, 'schedule rate(5 minutes) started a run');
  });
});
