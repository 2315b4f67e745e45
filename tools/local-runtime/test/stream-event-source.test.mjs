// The local DynamoDB Streams event source against DynamoDB Local, with a
// stand-in function: in order, retried from the failed record, nothing skipped.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { stopAll } from '../stack/processes.mjs';
import { resumeSequenceNumber, startStreamEventSource } from '../event-sources/stream-event-source.mjs';
import { createTableWithStream, startDynamoDbWithStreams, putKey, waitUntil } from './helpers.mjs';

let dynamodb;
let streams;
before(async () => {
  ({ dynamodb, streams } = await startDynamoDbWithStreams());
});
after(async () => {
  await stopAll();
});

/** @param {string} name */
const tableWithStream = (name) => createTableWithStream(dynamodb, name);
/** @param {string} table @param {string} pk */
const put = (table, pk) => putKey(dynamodb, table, pk);

describe('local DynamoDB stream event source', () => {
  it('retries from the first failed record and delivers every record, in order', async () => {
    const streamArn = await tableWithStream('stream-retry');
    for (const pk of ['a', 'b', 'c', 'd']) await put('stream-retry', pk);
    const seen = [];
    let failedOnce = false;
    const invoke = async (_name, event) => {
      const keys = event.Records.map((record) => record.dynamodb.Keys.pk.S);
      seen.push(keys);
      const c = event.Records.find((record) => record.dynamodb.Keys.pk.S === 'c');
      if (c && !failedOnce) {
        failedOnce = true;
        return { ok: true, payload: { batchItemFailures: [{ itemIdentifier: c.dynamodb.SequenceNumber }] } };
      }
      return { ok: true, payload: { batchItemFailures: [] } };
    };
    const poller = startStreamEventSource({ streams, streamArn, functionName: 'fn', invoke, reportBatchItemFailures: true, retryDelayMs: 10, log: () => undefined });
    try {
      await waitUntil(() => seen.flat().filter((key) => key === 'd').length >= 2);
    } finally {
      await poller.stop();
    }
    assert.deepEqual(seen[0], ['a', 'b', 'c', 'd']);
    assert.deepEqual(seen[1], ['c', 'd']);
    assert.equal(seen.flat().filter((key) => key === 'a').length, 1);
  });

  it('retries the whole batch after a function error', async () => {
    const streamArn = await tableWithStream('stream-error');
    await put('stream-error', 'x');
    let calls = 0;
    const invoke = async () => {
      calls += 1;
      return calls === 1 ? { ok: false, error: 'boom' } : { ok: true, payload: null };
    };
    const poller = startStreamEventSource({ streams, streamArn, functionName: 'fn', invoke, retryDelayMs: 10, log: () => undefined });
    try {
      await waitUntil(() => calls >= 2);
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      await poller.stop();
    }
    assert.equal(calls, 2);
  });
});

describe('resumeSequenceNumber', () => {
  const records = ['100', '200', '300'].map((SequenceNumber) => ({ dynamodb: { SequenceNumber } }));
  it('resumes at the lowest failure, or the batch start when the answer is unusable', () => {
    assert.equal(resumeSequenceNumber({ ok: true, payload: { batchItemFailures: [] } }, records, true), null);
    assert.equal(resumeSequenceNumber({ ok: true, payload: { batchItemFailures: [{ itemIdentifier: '300' }, { itemIdentifier: '200' }] } }, records, true), '200');
    assert.equal(resumeSequenceNumber({ ok: true, payload: { batchItemFailures: [{ itemIdentifier: '999' }] } }, records, true), '100');
    assert.equal(resumeSequenceNumber({ ok: false, error: 'x' }, records, true), '100');
  });
});
