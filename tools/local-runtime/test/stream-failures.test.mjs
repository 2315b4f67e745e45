// A poison record on a local DynamoDB stream: given up on as Lambda does (retries
// spent, or too old), its coordinates sent to the mapping's on-failure SQS queue,
// and the shard moves on. Against DynamoDB Local and the in-process fauxqs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { stopAll } from '../stack/processes.mjs';
import { startStreamEventSource } from '../event-sources/stream-event-source.mjs';
import { expiredCount, invocationRecord, sqsOnFailure } from '../event-sources/stream-failures.mjs';
import { createTableWithStream, startDynamoDbWithStreams, drain, putKey, startEmulator, waitUntil } from './helpers.mjs';

let dynamodb;
let streams;
let emulator;
before(async () => {
  ({ dynamodb, streams } = await startDynamoDbWithStreams());
  emulator = await startEmulator();
});
after(async () => {
  await emulator?.stop();
  await stopAll();
});

/** @param {string} name */
const tableWithStream = (name) => createTableWithStream(dynamodb, name);
/** @param {string} table @param {string} pk */
const put = (table, pk) => putKey(dynamodb, table, pk);

/** An on-failure queue, as the relays' `*-relay-dlq`. */
const failureQueue = async (name) => {
  const { QueueUrl } = await emulator.sqs.send(new CreateQueueCommand({ QueueName: name }));
  const { Attributes } = await emulator.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  return { queueUrl: QueueUrl, onFailure: sqsOnFailure({ sqs: emulator.sqs, destinationArn: Attributes.QueueArn }) };
};

/** A function that fails every batch holding `poison`, and says which keys it delivered. */
const poisoned = (poison) => {
  const delivered = [];
  const batches = [];
  const invoke = async (_name, event) => {
    const keys = event.Records.map((record) => record.dynamodb.Keys.pk.S);
    batches.push(keys);
    if (keys.includes(poison)) return { ok: false, error: `${poison} is poison` };
    delivered.push(...keys);
    return { ok: true, payload: null };
  };
  return { invoke, delivered, batches };
};

describe('local DynamoDB stream event source: records given up on', () => {
  it('bisects a failing batch, sends the poison record alone to the on-failure queue once retries are spent, and delivers the rest', async () => {
    const streamArn = await tableWithStream('stream-bisect');
    const { queueUrl, onFailure } = await failureQueue('stream-bisect-relay-dlq');
    for (const pk of ['a', 'poison', 'c', 'd']) await put('stream-bisect', pk);
    const fn = poisoned('poison');
    const poller = startStreamEventSource({
      streams, streamArn, functionName: 'relay', invoke: fn.invoke, maximumRetryAttempts: 1, bisectBatchOnFunctionError: true, onFailure, retryDelayMs: 10, log: () => undefined,
    });
    const sent = [];
    try {
      await waitUntil(async () => {
        sent.push(...(await drain(emulator.sqs, queueUrl)));
        return sent.length > 0 && fn.delivered.includes('d');
      });
      // The shard is not blocked: a row written after the poison one is delivered too.
      await put('stream-bisect', 'later');
      await waitUntil(() => fn.delivered.includes('later'));
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      await poller.stop();
    }
    assert.deepEqual(fn.delivered, ['a', 'c', 'd', 'later']);
    // [a poison c d] fails → [a poison] fails → [a] done; [poison] fails, is retried once, then given up; the rest
    // of the bisected batch one at a time, then full batches again.
    assert.deepEqual(fn.batches, [['a', 'poison', 'c', 'd'], ['a', 'poison'], ['a'], ['poison'], ['poison'], ['c'], ['d'], ['later']]);
    assert.equal(sent.length, 1);
    const failure = JSON.parse(sent[0]);
    assert.equal(failure.version, '1.0');
    assert.equal(failure.requestContext.condition, 'RetryAttemptsExhausted');
    assert.equal(failure.requestContext.functionArn, `arn:aws:lambda:${streamArn.split(':')[3]}:${streamArn.split(':')[4]}:function:relay`);
    // Every failed invocation that held it, bisects included.
    assert.equal(failure.requestContext.approximateInvokeCount, 4);
    assert.deepEqual(failure.responseContext, { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' });
    const info = failure.DDBStreamBatchInfo;
    assert.equal(info.batchSize, 1);
    assert.equal(info.streamArn, streamArn);
    assert.equal(info.startSequenceNumber, info.endSequenceNumber);
    assert.match(info.shardId, /^shardId-/);
    assert.match(info.approximateArrivalOfFirstRecord, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('gives up on a batch older than the local maximum record age, with retries unlimited, and moves on', async () => {
    const streamArn = await tableWithStream('stream-age');
    const { queueUrl, onFailure } = await failureQueue('stream-age-relay-dlq');
    await put('stream-age', 'poison');
    const fn = poisoned('poison');
    const lines = [];
    // The relays' settings: retries unlimited, 23 h; locally 1 s from the record's first read.
    const poller = startStreamEventSource({
      streams, streamArn, functionName: 'relay', invoke: fn.invoke, reportBatchItemFailures: true, maximumRetryAttempts: -1, maximumRecordAgeSeconds: 82800,
      localMaxRecordAgeSeconds: 1, onFailure, retryDelayMs: 100, log: (line) => lines.push(line),
    });
    const sent = [];
    try {
      await waitUntil(async () => {
        sent.push(...(await drain(emulator.sqs, queueUrl)));
        return sent.length > 0;
      });
      await put('stream-age', 'good');
      await waitUntil(() => fn.delivered.includes('good'));
    } finally {
      await poller.stop();
    }
    assert.ok(fn.batches.length >= 3, `retried until too old: ${fn.batches.length} invocation(s)`);
    assert.deepEqual(fn.delivered, ['good']);
    assert.equal(sent.length, 1);
    const failure = JSON.parse(sent[0]);
    assert.equal(failure.requestContext.condition, 'RecordAgeExceeded');
    assert.equal(failure.requestContext.approximateInvokeCount, fn.batches.filter((keys) => keys.includes('poison')).length);
    assert.equal(failure.DDBStreamBatchInfo.batchSize, 1);
    assert.ok(lines.some((line) => /RecordAgeExceeded: gave up on 1 record\(s\) .* sent to the on-failure destination/.test(line)), lines.join('\n'));
  });
});

describe('stream-failures', () => {
  const at = (seconds) => ({ dynamodb: { SequenceNumber: String(seconds), ApproximateCreationDateTime: new Date(seconds * 1000) } });

  it('counts the leading records older than the maximum age; -1 is no limit', () => {
    const records = [at(100), at(105), at(110)];
    assert.equal(expiredCount(records, 8, 111_000), 1);
    assert.equal(expiredCount(records, 0, 111_000), 3);
    assert.equal(expiredCount(records, -1, 111_000), 0);
    assert.equal(expiredCount(records, undefined, 111_000), 0);
    // Another clock: when the poller first read each record (the local limit's).
    assert.equal(expiredCount(records, 8, 111_000, (record) => (record.dynamodb.SequenceNumber === '100' ? 100_000 : undefined)), 1);
  });

  it('makes the invocation record Lambda sends, which tools/dlq reads', () => {
    const record = invocationRecord({
      records: [at(100), at(102)], shardId: 'shardId-1', streamArn: 'arn:aws:dynamodb:eu-west-1:000000000000:table/t/stream/s', functionName: 'f',
      condition: 'RetryAttemptsExhausted', invokeCount: 3, now: new Date(200_000),
    });
    assert.equal(record.requestContext.functionArn, 'arn:aws:lambda:eu-west-1:000000000000:function:f');
    assert.equal(record.requestContext.approximateInvokeCount, 3);
    assert.deepEqual(record.responseContext, { statusCode: 200, executedVersion: '$LATEST' });
    assert.equal(record.timestamp, '1970-01-01T00:03:20.000Z');
    assert.deepEqual(record.DDBStreamBatchInfo, {
      shardId: 'shardId-1', startSequenceNumber: '100', endSequenceNumber: '102', approximateArrivalOfFirstRecord: '1970-01-01T00:01:40Z',
      approximateArrivalOfLastRecord: '1970-01-01T00:01:42Z', batchSize: 2, streamArn: 'arn:aws:dynamodb:eu-west-1:000000000000:table/t/stream/s',
    });
  });

  it('refuses a destination that is not an SQS queue', () => {
    assert.throws(() => sqsOnFailure({ sqs: emulator.sqs, destinationArn: 'arn:aws:sns:us-east-1:000000000000:topic' }), /not an SQS queue/);
  });
});
