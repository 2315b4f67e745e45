// How the stream poller survives stale iterators and failing shards. A
// scripted Streams client plays the stream, since DynamoDB Local cannot be
// made to expire an iterator (that takes 15 minutes) or fail one shard.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startStreamEventSource } from '../event-sources/stream-event-source.mjs';
import { waitUntil } from './helpers.mjs';

const record = (sequence) => ({
  eventID: `e${sequence}`,
  eventName: 'INSERT',
  dynamodb: { SequenceNumber: String(sequence), Keys: { pk: { S: `k${sequence}` } } },
});

/**
 * Open shards of the given sequence numbers, `pageSize` records per
 * GetRecords. `fail({ shard, index, call })` may return an error to throw from
 * GetRecords (call counts that shard's GetRecords calls from 1).
 */
const scriptedStreams = ({ shards, pageSize = 2, fail = () => undefined }) => {
  const iteratorRequests = [];
  const calls = {};
  const send = async (command) => {
    const input = command.input;
    switch (command.constructor.name) {
      case 'DescribeStreamCommand':
        return { StreamDescription: { Shards: Object.keys(shards).map((ShardId) => ({ ShardId })) } };
      case 'GetShardIteratorCommand': {
        const { ShardId, ShardIteratorType: type, SequenceNumber } = input;
        iteratorRequests.push(SequenceNumber ? `${ShardId} ${type} ${SequenceNumber}` : `${ShardId} ${type}`);
        const sequences = shards[ShardId];
        const at = sequences.indexOf(Number(SequenceNumber));
        const index = { TRIM_HORIZON: 0, LATEST: sequences.length, AT_SEQUENCE_NUMBER: at, AFTER_SEQUENCE_NUMBER: at + 1 }[type];
        return { ShardIterator: `${ShardId}:${index}` };
      }
      case 'GetRecordsCommand': {
        const [shard, position] = input.ShardIterator.split(':');
        const index = Number(position);
        calls[shard] = (calls[shard] ?? 0) + 1;
        const error = fail({ shard, index, call: calls[shard] });
        if (error) throw error;
        const page = shards[shard].slice(index, index + pageSize);
        return { Records: page.map(record), NextShardIterator: `${shard}:${index + page.length}` };
      }
      default:
        throw new Error(`unexpected ${command.constructor.name}`);
    }
  };
  return { send, iteratorRequests };
};

const expired = () => Object.assign(new Error('Iterator expired'), { name: 'ExpiredIteratorException' });

const start = (streams, invoke, options = {}) =>
  startStreamEventSource({
    streams,
    streamArn: 'arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/1',
    functionName: 'relay',
    invoke,
    retryDelayMs: 10,
    log: () => undefined,
    ...options,
  });

const sequencesOf = (event) => event.Records.map((r) => Number(r.dynamodb.SequenceNumber));

describe('local DynamoDB stream event source, iterators and errors', () => {
  it('renews an iterator that expires mid-stream just after the last record processed: every record once, in order', async () => {
    let expiredOnce = false;
    const streams = scriptedStreams({
      shards: { s1: [1, 2, 3, 4, 5, 6] },
      fail: ({ index }) => {
        if (index === 2 && !expiredOnce) {
          expiredOnce = true;
          return expired();
        }
      },
    });
    const batches = [];
    const poller = start(streams, async (_name, event) => {
      batches.push(sequencesOf(event));
      return { ok: true, payload: null };
    });
    try {
      await waitUntil(async () => batches.flat().includes(6), 3_000);
    } finally {
      await poller.stop();
    }
    assert.deepEqual(batches, [[1, 2], [3, 4], [5, 6]]);
    assert.deepEqual(streams.iteratorRequests, ['s1 TRIM_HORIZON', 's1 AFTER_SEQUENCE_NUMBER 2']);
  });

  it('renews an iterator that expires while a batch is retried at the first record to retry', async () => {
    let expiredOnce = false;
    const streams = scriptedStreams({
      shards: { s1: [1, 2, 3, 4, 5, 6] },
      pageSize: 4,
      // The retry's first read (at record 3) finds its iterator expired, like a laptop that slept through the retry delay.
      fail: ({ index, call }) => {
        if (call === 2 && index === 2 && !expiredOnce) {
          expiredOnce = true;
          return expired();
        }
      },
    });
    const batches = [];
    const done = [];
    const poller = start(
      streams,
      async (_name, event) => {
        const sequences = sequencesOf(event);
        batches.push(sequences);
        if (batches.length === 1) {
          done.push(1, 2); // 3 fails; 4 is not reached
          return { ok: true, payload: { batchItemFailures: [{ itemIdentifier: '3' }] } };
        }
        done.push(...sequences);
        return { ok: true, payload: { batchItemFailures: [] } };
      },
      { reportBatchItemFailures: true },
    );
    try {
      await waitUntil(async () => done.includes(6), 3_000);
    } finally {
      await poller.stop();
    }
    assert.ok(expiredOnce);
    assert.deepEqual(done, [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(batches, [[1, 2, 3, 4], [3, 4, 5, 6]]);
    assert.deepEqual(streams.iteratorRequests, ['s1 TRIM_HORIZON', 's1 AT_SEQUENCE_NUMBER 3', 's1 AT_SEQUENCE_NUMBER 3']);
  });

  it('keeps reading a shard while another shard keeps failing', async () => {
    const streams = scriptedStreams({
      shards: { broken: [1, 2], healthy: [10, 11, 12, 13] },
      fail: ({ shard }) => (shard === 'broken' ? new Error('socket hang up') : undefined),
    });
    const delivered = [];
    const poller = start(streams, async (_name, event) => {
      delivered.push(...sequencesOf(event));
      return { ok: true, payload: null };
    });
    try {
      await waitUntil(async () => delivered.includes(13), 3_000);
    } finally {
      await poller.stop();
    }
    assert.deepEqual(delivered, [10, 11, 12, 13]);
  });

  it('keeps reading a shard while another shard cannot get an iterator', async () => {
    const streams = scriptedStreams({ shards: { broken: [1, 2], healthy: [10, 11] } });
    const send = streams.send;
    streams.send = async (command) => {
      if (command.constructor.name === 'GetShardIteratorCommand' && command.input.ShardId === 'broken') {
        throw Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' });
      }
      return send(command);
    };
    const delivered = [];
    const poller = start(streams, async (_name, event) => {
      delivered.push(...sequencesOf(event));
      return { ok: true, payload: null };
    });
    try {
      await waitUntil(async () => delivered.includes(11), 3_000);
    } finally {
      await poller.stop();
    }
    assert.deepEqual(delivered, [10, 11]);
  });
});
