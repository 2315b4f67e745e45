// The console knows no domain: a service it has never heard of (here `audit`,
// which exists nowhere in the repo, as a service made by `nx g
// @platform/generators:consumer-service --events=order.confirmed` would be)
// shows its hops in the flow of the work it took part in, with no change to
// the console. Flows join on correlation ids and on the entity keys the event
// contracts declare (libs/events EVENT_ENTITY_KEYS), never on names the
// console knows. (Test data may name the domain; the console's code may not:
// tools/ci/test/platform-knows-no-domain.test.mjs checks.)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { marshall } from '@aws-sdk/util-dynamodb';
import { createRecorder } from '@platform/local-runtime/stack/recorder';
import { loadContracts } from '../lib/contracts.mjs';
import { createHopViews, flowEntries, groupFlows, keyNamesOf, searchFlows } from '../lib/hops.mjs';

const { EVENT_ENTITY_KEYS } = await loadContracts();

// The repo's services, and one more the console is told of only by the stack (as `npm start` finds services/*).
const SERVICES = ['event-bus', 'items-api', 'notifier', 'order-processor', 'audit'];
const FLOW = 'Q2xSrWbnIAMEcAA=';
const ORDER = '5b1c9e07-audit-order';
const ITEM = '7e4a-item';
const QUEUE = (name) => `arn:aws:sqs:us-east-1:000000000000:${name}`;
const STREAM = (table) => `arn:aws:dynamodb:us-east-1:000000000000:table/${table}/stream/2025-01-01T00:00:00.000`;

/** An SQS message as the bus delivers it (raw delivery: the envelope is the body; type, eventId, correlationId as attributes). */
const delivery = (type, { correlationId = FLOW, source = 'order-processor', data = { orderId: ORDER, itemId: ITEM, quantity: 1, customerEmail: 'ada@example.com' } } = {}) => {
  const id = `${type}:${data.id ?? data.orderId}`;
  return {
    MessageId: `m-${type}-${correlationId || 'none'}`,
    Body: JSON.stringify({ id, type, version: 1, occurredAt: new Date(0).toISOString(), source, ...(correlationId && { correlationId }), data }),
    Attributes: { ApproximateReceiveCount: '1' },
    MessageAttributes: {
      type: { DataType: 'String', StringValue: type },
      eventId: { DataType: 'String', StringValue: id },
      ...(correlationId && { correlationId: { DataType: 'String', StringValue: correlationId } }),
    },
  };
};

const row = (image, eventName = 'INSERT') => ({ eventName, dynamodb: { Keys: marshall({ pk: image.pk, sk: image.sk }), NewImage: marshall(image), SequenceNumber: '7' } });

/** One order, shortened: the request, its decision, order.confirmed to notifier and to audit, and what audit did. */
const recorded = () => [
  { kind: 'http', at: 1000, requestId: FLOW, method: 'POST', path: '/orders', status: 202, durationMs: 20, service: 'order-processor', functionName: 'order-processor-local-placeOrder' },
  {
    kind: 'stream',
    at: 1300,
    functionName: 'order-processor-local-publishOrderEvents',
    streamArn: STREAM('order-processor-local-orders'),
    record: row({ pk: `ORDER#${ORDER}`, sk: 'ORDER', id: ORDER, itemId: ITEM, status: 'CONFIRMED', correlationId: FLOW }, 'MODIFY'),
    retry: false,
  },
  { kind: 'sqs', at: 1350, functionName: 'notifier-local-notifyCustomers', queueArn: QUEUE('notifier-local-order-outcomes'), message: delivery('order.confirmed'), retry: false },
  // The generated service: its queue, its function, the same event.
  { kind: 'sqs', at: 1351, functionName: 'audit-local-handleEvents', queueArn: QUEUE('audit-local-events'), message: delivery('order.confirmed'), retry: false },
  {
    kind: 'invoke',
    at: 1352,
    functionName: 'audit-local-handleEvents',
    durationMs: 4,
    event: { Records: [{ eventSource: 'aws:sqs', eventSourceARN: QUEUE('audit-local-events'), messageId: 'm-audit', body: delivery('order.confirmed').Body, messageAttributes: {} }] },
    result: { ok: true, payload: { batchItemFailures: [] } },
  },
];

describe('a service the console has never heard of', () => {
  const views = (hops) => {
    const recorder = createRecorder();
    for (const hop of hops) recorder.record(hop);
    const { view } = createHopViews({ services: SERVICES, entityKeys: EVENT_ENTITY_KEYS });
    return recorder.hops().map(view);
  };

  it("shows its delivery and invocation in the order's flow, by correlation id", () => {
    const flows = groupFlows(views(recorded()));
    assert.deepEqual([...flows.keys()], [FLOW]);
    const entries = flowEntries(/** @type {any} */ (flows.get(FLOW)));
    const audit = entries.filter((entry) => entry.service === 'audit').map((entry) => `${entry.kind} ${entry.function}`);
    assert.deepEqual(audit, ['sqs handleEvents', 'invoke handleEvents']);
    const [summary] = searchFlows(views(recorded()), { service: 'audit' });
    assert.equal(summary?.id, FLOW);
    assert.ok(summary?.services.includes('audit'), JSON.stringify(summary));
    // The entity keys order.confirmed declares, as the flow shows them.
    assert.deepEqual(summary?.entityKeys, { orderId: [ORDER], itemId: [ITEM] });
    assert.equal(summary?.status, 'CONFIRMED');
  });

  it("joins the order's flow by the contract's entity keys when the event carries no correlation id", () => {
    const uncorrelated = { kind: 'sqs', at: 2000, functionName: 'audit-local-handleEvents', queueArn: QUEUE('audit-local-events'), message: delivery('order.confirmed', { correlationId: '' }), retry: false };
    // A row audit wrote outside any request: joined by its attribute named like a declared key.
    const auditRow = {
      kind: 'stream',
      at: 2001,
      functionName: 'audit-local-exportAudit',
      streamArn: STREAM('audit-local-audit-log'),
      record: row({ pk: 'ENTRY#1', sk: 'ENTRY', orderId: ORDER, what: 'confirmed' }),
      retry: false,
    };
    const all = views([...recorded(), uncorrelated, auditRow]);
    const flows = groupFlows(all);
    assert.deepEqual([...flows.keys()], [FLOW]);
    const shown = flowEntries(/** @type {any} */ (flows.get(FLOW)));
    assert.equal(shown.filter((entry) => entry.service === 'audit').length, 4);
    const written = shown.find((entry) => entry.kind === 'stream' && entry.service === 'audit');
    assert.deepEqual(written?.entityKeys, { orderId: [ORDER] });
    assert.ok(written?.details.some(([term, value]) => term === 'entity keys' && value === `orderId=${ORDER}`), JSON.stringify(written?.details));
    // Found by the key's value, as by the request id.
    assert.deepEqual(searchFlows(all, { q: ORDER }).map((flow) => flow.id), [FLOW]);
    // Alone (its flow out of the recorder's window), it makes a flow of its subject, the contract's first key.
    assert.deepEqual([...groupFlows(views([uncorrelated, auditRow])).keys()], [`orderId:${ORDER}`]);
  });

  it('joins on whatever keys the contracts declare, and on nothing else', () => {
    const declared = { 'parcel.shipped': { parcelId: 'id', depotId: 'depot' } };
    const recorder = createRecorder();
    const shipped = (correlationId, at) => ({
      kind: 'sqs',
      at,
      functionName: 'audit-local-handleEvents',
      queueArn: QUEUE('audit-local-events'),
      message: delivery('parcel.shipped', { correlationId, source: 'depot', data: { id: 'p-1', depot: 'd-9', orderId: ORDER } }),
      retry: false,
    });
    recorder.record(shipped('flow-a', 1));
    recorder.record(shipped('', 2));
    recorder.record({ kind: 'stream', at: 3, functionName: 'audit-local-exportAudit', streamArn: STREAM('audit-local-audit-log'), record: row({ pk: 'P#1', sk: 'P', parcelId: 'p-1' }), retry: false });
    const declaredViews = recorder.hops().map(createHopViews({ services: SERVICES, entityKeys: declared }).view);
    assert.deepEqual([...groupFlows(declaredViews).keys()], ['flow-a']);
    assert.deepEqual(declaredViews[0]?.entityKeys, { parcelId: ['p-1'], depotId: ['d-9'] }, 'orderId is in the data but not declared: not a key');
    // With no keys declared, only correlation ids and event ids join.
    const bare = recorder.hops().map(createHopViews({ services: SERVICES }).view);
    assert.deepEqual([...groupFlows(bare).keys()], ['flow-a', 'event:parcel.shipped:p-1', 'hop:3']);
    assert.deepEqual(keyNamesOf({ a: { x: 'x', y: 'y' }, b: { y: 'y' }, c: { y: 'y', x: 'x' } }), ['y', 'x'], "rows' keys: the most frequent subject first");
  });
});
