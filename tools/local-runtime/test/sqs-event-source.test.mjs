// The local SQS event source against fauxqs, with a stand-in function, so
// every rule of Lambda's SQS trigger is checked on a real queue and DLQ.
import assert from 'node:assert/strict';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { after, before, describe, it } from 'node:test';
import { failedMessageIds, injectedFaultPlan, startSqsEventSource } from '../event-sources/sqs-event-source.mjs';
import { createQueueWithDlq, drain, send, startEmulator, waitUntil } from './helpers.mjs';

let emulator;
before(async () => {
  emulator = await startEmulator();
});
after(async () => {
  await emulator.stop();
});

const THROW = Symbol('throw');

/** Runs a poller over `bodies` with `behaviour(records, call)` as the function, until `done()`. */
const runPoller = async ({ bodies, behaviour, done, batchSize = 10, reportBatchItemFailures = true, failEvery = undefined, log = () => undefined }) => {
  const { queueUrl, queueArn, dlqUrl } = await createQueueWithDlq(emulator.sqs);
  const handled = []; // one entry per (record, call)
  let calls = 0;
  const invoke = async (_name, event) => {
    calls += 1;
    for (const record of event.Records) handled.push({ body: record.body, messageId: record.messageId, call: calls });
    const outcome = behaviour(event.Records, calls);
    return outcome === THROW ? { ok: false, error: 'the function threw' } : { ok: true, payload: outcome };
  };
  const poller = startSqsEventSource({
    sqs: emulator.sqs,
    queueUrl,
    queueArn,
    functionName: 'fn',
    invoke,
    batchSize,
    batchWindowSeconds: 1,
    reportBatchItemFailures,
    retryVisibilitySeconds: 0,
    failEvery,
    log,
  });
  await send(emulator.sqs, queueUrl, bodies);
  try {
    await waitUntil(() => done({ handled, calls, queue: { queueUrl, dlqUrl } }));
    // Let anything that should not happen have a chance to.
    await new Promise((resolve) => setTimeout(resolve, 300));
  } finally {
    await poller.stop();
  }
  return { handled, calls, remaining: await drain(emulator.sqs, queueUrl), dlq: await drain(emulator.sqs, dlqUrl) };
};

const messagesIn = async (queueUrl) => {
  const { Attributes } = await emulator.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(Attributes.ApproximateNumberOfMessages);
};

const timesHandled = (handled, body) => handled.filter((entry) => entry.body === body).length;

describe('local SQS event source', () => {
  it('retries only the records reported in batchItemFailures', async () => {
    const { handled } = await runPoller({
      bodies: ['a', 'b', 'c'],
      behaviour: (records, call) => ({
        batchItemFailures: call === 1 ? records.filter((r) => r.body === 'b').map((r) => ({ itemIdentifier: r.messageId })) : [],
      }),
      done: ({ handled }) => timesHandled(handled, 'b') >= 2,
    });
    assert.equal(timesHandled(handled, 'a'), 1);
    assert.equal(timesHandled(handled, 'c'), 1);
    assert.equal(timesHandled(handled, 'b'), 2);
  });

  it('retries the whole batch when the function throws', async () => {
    const { handled, remaining } = await runPoller({
      bodies: ['x', 'y'],
      behaviour: (_records, call) => (call === 1 ? THROW : {}),
      done: ({ handled }) => timesHandled(handled, 'x') >= 2 && timesHandled(handled, 'y') >= 2,
    });
    assert.equal(timesHandled(handled, 'x'), 2);
    assert.equal(timesHandled(handled, 'y'), 2);
    assert.deepEqual(remaining, []);
  });

  it('fails the whole batch on an itemIdentifier that is not in it', async () => {
    const { handled } = await runPoller({
      bodies: ['p', 'q'],
      behaviour: (_records, call) => ({ batchItemFailures: call === 1 ? [{ itemIdentifier: 'not-in-this-batch' }] : [] }),
      done: ({ handled }) => timesHandled(handled, 'p') >= 2 && timesHandled(handled, 'q') >= 2,
    });
    assert.equal(timesHandled(handled, 'p'), 2);
    assert.equal(timesHandled(handled, 'q'), 2);
  });

  it('moves a record that always fails to the DLQ after 3 receives; its batch-mates are processed exactly once', async () => {
    const { handled, dlq, remaining } = await runPoller({
      bodies: ['good-1', 'poison', 'good-2'],
      behaviour: (records) => ({
        batchItemFailures: records.filter((r) => r.body === 'poison').map((r) => ({ itemIdentifier: r.messageId })),
      }),
      done: async ({ queue }) => (await messagesIn(queue.dlqUrl)) === 1,
    });
    assert.equal(timesHandled(handled, 'poison'), 3);
    assert.equal(timesHandled(handled, 'good-1'), 1);
    assert.equal(timesHandled(handled, 'good-2'), 1);
    assert.deepEqual(dlq, ['poison']);
    assert.deepEqual(remaining, []);
  });
});

describe('local SQS event source, fault injection (npm run faults)', () => {
  it('is off unless failEvery is set', () => {
    for (const every of [undefined, 0]) {
      const plan = injectedFaultPlan(every);
      assert.deepEqual(Array.from({ length: 30 }, plan).filter(Boolean), []);
    }
  });

  it('fails every Nth record taken, alternately before and after its handling', () => {
    const plan = injectedFaultPlan(3);
    assert.deepEqual(Array.from({ length: 12 }, plan), [undefined, undefined, 'before', undefined, undefined, 'after', undefined, undefined, 'before', undefined, undefined, 'after']);
  });

  it('keeps the injected records on the queue: before, never delivered; after, delivered and kept; one log line each', async () => {
    const lines = [];
    const bodies = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'];
    // Takes 3 and 6 fail ('before', then 'after'); their retries are takes 7 and 8, which do not:
    // 8 takes, 7 deliveries, however the receives split the records into batches.
    const { handled, remaining, dlq } = await runPoller({
      bodies,
      failEvery: 3,
      log: (line) => lines.push(line),
      behaviour: () => ({ batchItemFailures: [] }),
      done: ({ handled }) => handled.length >= 7 && new Set(handled.map((entry) => entry.body)).size === bodies.length,
    });
    assert.deepEqual(remaining, []);
    assert.deepEqual(dlq, []);
    const injected = lines.filter((line) => line.includes('injected fault (LOCAL_FAULT_CONSUMER_THROW_EVERY=3)'));
    assert.equal(injected.length, 2, lines.join('\n'));
    const details = injected.map((line) => JSON.parse(line.slice(line.indexOf('{'))));
    assert.deepEqual(details.map(({ name, when }) => [name, when]), [['InjectedFault', 'before'], ['InjectedFault', 'after']]);
    assert.match(injected[0], /^fn: injected fault .*: record \S+ failed before delivery/);
    assert.match(injected[1], /^fn: injected fault .*: record \S+ failed after its handling/);
    const deliveries = (messageId) => handled.filter((entry) => entry.messageId === messageId).length;
    // Before: withheld from the function once, delivered on its next receive. After: delivered, kept, delivered again.
    assert.equal(deliveries(details[0].messageId), 1);
    assert.equal(deliveries(details[1].messageId), 2);
    assert.equal(handled.length, 7);
    assert.deepEqual([...new Set(handled.map((entry) => entry.body))].sort(), bodies);
    assert.ok(lines.some((line) => /left for retry \([12] by injected fault, LOCAL_FAULT_CONSUMER_THROW_EVERY\)/.test(line)), lines.join('\n'));
  });

  it('without ReportBatchItemFailures, an injected fault fails its whole batch, as a function error would', async () => {
    const lines = [];
    const { handled } = await runPoller({
      bodies: ['only'],
      failEvery: 1,
      reportBatchItemFailures: false,
      log: (line) => lines.push(line),
      behaviour: () => null,
      // Take 1 fails before delivery, take 2 after it: delivered once, still on the queue; take 3 again before.
      // Done once the third batch is summed up (its fault line comes before its summary line).
      done: () => lines.filter((line) => line.startsWith('fn: batch of')).length >= 3,
    });
    assert.ok(handled.length >= 1, 'delivered on the takes whose fault comes after its handling');
    const batches = lines.filter((line) => line.startsWith('fn: batch of'));
    assert.ok(batches.length >= 3, lines.join('\n'));
    for (const line of batches) assert.match(line, /^fn: batch of 1, 0 done, 1 left for retry \(1 by injected fault, LOCAL_FAULT_CONSUMER_THROW_EVERY\)$/);
  });
});

describe('local SQS event source, scaled out', () => {
  it('keeps up to `pollers` batches in flight at once, never more, and delivers each message once', async () => {
    const { queueUrl, queueArn } = await createQueueWithDlq(emulator.sqs);
    const bodies = Array.from({ length: 30 }, (_, i) => `m${i}`);
    await send(emulator.sqs, queueUrl, bodies);
    const handled = [];
    let inFlight = 0;
    let mostInFlight = 0;
    const invoke = async (_name, event) => {
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 100));
      handled.push(...event.Records.map((record) => record.body));
      inFlight -= 1;
      return { ok: true, payload: { batchItemFailures: [] } };
    };
    const poller = startSqsEventSource({ sqs: emulator.sqs, queueUrl, queueArn, functionName: 'fn', invoke, pollers: 3, batchSize: 2, reportBatchItemFailures: true, log: () => undefined });
    try {
      await waitUntil(() => handled.length >= bodies.length);
    } finally {
      await poller.stop();
    }
    assert.equal(mostInFlight, 3);
    assert.deepEqual([...handled].sort(), [...bodies].sort());
    assert.equal(await messagesIn(queueUrl), 0);
  });
});

describe('failedMessageIds', () => {
  const ids = ['1', '2', '3'];
  it('follows the ReportBatchItemFailures rules', () => {
    assert.deepEqual(failedMessageIds({ ok: true, payload: { batchItemFailures: [] } }, ids, true).failed, []);
    assert.deepEqual(failedMessageIds({ ok: true, payload: null }, ids, true).failed, []);
    assert.deepEqual(failedMessageIds({ ok: true, payload: { batchItemFailures: [{ itemIdentifier: '2' }] } }, ids, true).failed, ['2']);
    assert.deepEqual(failedMessageIds({ ok: true, payload: { batchItemFailures: [{ itemIdentifier: '' }] } }, ids, true).failed, ids);
    assert.deepEqual(failedMessageIds({ ok: true, payload: { batchItemFailures: [{}] } }, ids, true).failed, ids);
    assert.deepEqual(failedMessageIds({ ok: true, payload: { batchItemFailures: 'x' } }, ids, true).failed, ids);
    assert.deepEqual(failedMessageIds({ ok: false, error: 'e' }, ids, true).failed, ids);
    assert.deepEqual(failedMessageIds({ ok: true, payload: { batchItemFailures: [{ itemIdentifier: '2' }] } }, ids, false).failed, []);
  });
});
