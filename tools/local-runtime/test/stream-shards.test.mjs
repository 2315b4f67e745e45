// How the stream poller moves from a shard to its children. DynamoDB Local
// cannot be made to split a shard on demand, so a scripted Streams client
// plays a stream whose parent shard is still open when its child appears.
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
 * A stream of a parent shard (records 1-3, handed out one per GetRecords,
 * then closed) and a child shard (records 4-5) that exists from the start.
 */
const scriptedStreams = () => {
  const pages = {
    parent: [[record(1)], [record(2)], [record(3)], null],
    child: [[record(4), record(5)]],
  };
  const reads = [];
  const send = async (command) => {
    const input = command.input;
    switch (command.constructor.name) {
      case 'DescribeStreamCommand':
        return { StreamDescription: { Shards: [{ ShardId: 'parent' }, { ShardId: 'child', ParentShardId: 'parent' }] } };
      case 'GetShardIteratorCommand':
        return { ShardIterator: `${input.ShardId}:0` };
      case 'GetRecordsCommand': {
        const [shard, position] = input.ShardIterator.split(':');
        const page = pages[shard][Number(position)];
        reads.push(shard);
        if (page === null) return { Records: [] }; // closed: no NextShardIterator
        if (page === undefined) return { Records: [], NextShardIterator: `${shard}:${position}` };
        return { Records: page, NextShardIterator: `${shard}:${Number(position) + 1}` };
      }
      default:
        throw new Error(`unexpected ${command.constructor.name}`);
    }
  };
  return { send, reads };
};

describe('local DynamoDB stream event source, shards', () => {
  it('reads a child shard only after its parent is read to its end, and then at once', async () => {
    const streams = scriptedStreams();
    const delivered = [];
    const poller = startStreamEventSource({
      streams,
      streamArn: 'arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/1',
      functionName: 'relay',
      invoke: async (_name, event) => {
        delivered.push(...event.Records.map((r) => Number(r.dynamodb.SequenceNumber)));
        return { ok: true, payload: { batchItemFailures: [] } };
      },
      log: () => undefined,
    });
    try {
      // Well inside the poller's 5 s rediscovery interval: the child is found because its parent closed.
      await waitUntil(async () => delivered.length === 5, 3_000);
      assert.deepEqual(delivered, [1, 2, 3, 4, 5]);
      const firstChildRead = streams.reads.indexOf('child');
      assert.ok(firstChildRead > streams.reads.lastIndexOf('parent'), `reads: ${streams.reads.join(' ')}`);
    } finally {
      await poller.stop();
    }
  });
});
