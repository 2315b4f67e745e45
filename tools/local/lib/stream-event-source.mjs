// A local stand-in for Lambda's DynamoDB Streams event source mapping:
// records of each shard in order, `batchSize` at a time; a function error
// retries the same batch; with ReportBatchItemFailures the shard resumes
// from the lowest failed sequence number. Retries go on until
// `maximumRetryAttempts` (-1: until the record leaves the stream, as in AWS).
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { setTimeout as sleep } from 'node:timers/promises';

const toLambdaRecord = (record, streamArn) => ({
  eventID: record.eventID,
  eventName: record.eventName,
  eventVersion: record.eventVersion ?? '1.1',
  eventSource: 'aws:dynamodb',
  awsRegion: record.awsRegion,
  dynamodb: {
    ...record.dynamodb,
    ApproximateCreationDateTime:
      record.dynamodb?.ApproximateCreationDateTime instanceof Date
        ? Math.floor(record.dynamodb.ApproximateCreationDateTime.getTime() / 1000)
        : record.dynamodb?.ApproximateCreationDateTime,
  },
  eventSourceARN: streamArn,
});

// The flows a batch belongs to: the correlation ids the writes stamped on their rows
// (a delete stamps none), so that grepping the output for one finds this line too.
const flowsOf = (records) => [...new Set(records.map((record) => record.dynamodb?.NewImage?.correlationId?.S).filter(Boolean))];
const flowNote = (ids) => (ids.length > 0 ? ` [${ids.join(' ')}]` : '');

/** Where to resume after a batch: null when it all succeeded. */
export const resumeSequenceNumber = (result, records, reportBatchItemFailures) => {
  const first = records[0].dynamodb.SequenceNumber;
  if (!result.ok) return first;
  if (!reportBatchItemFailures) return null;
  const failures = result.payload?.batchItemFailures;
  if (failures === undefined || failures === null || (Array.isArray(failures) && failures.length === 0)) return null;
  if (!Array.isArray(failures)) return first;
  const inBatch = new Set(records.map((record) => record.dynamodb.SequenceNumber));
  const ids = failures.map((failure) => failure?.itemIdentifier);
  if (ids.some((id) => !inBatch.has(id))) return first;
  return ids.sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1))[0];
};

export const startStreamEventSource = ({
  streams,
  streamArn,
  functionName,
  invoke,
  batchSize = 100,
  startingPosition = 'TRIM_HORIZON',
  reportBatchItemFailures = false,
  maximumRetryAttempts = -1,
  retryDelayMs = 1000,
  log = console.log,
}) => {
  let stopped = false;
  const shards = new Map(); // shardId → { iterator, attempts, lastSequence }
  const finished = new Set();

  /** A shard iterator of `type`; AT_/AFTER_SEQUENCE_NUMBER take `sequenceNumber`. */
  const iterator = async (shardId, type, sequenceNumber) => {
    const { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ShardIteratorType: type, SequenceNumber: sequenceNumber }),
    );
    return ShardIterator;
  };

  // A shard is read only once its parent is read to the end (or gone from
  // the stream), as Lambda does, so a backlog is relayed in order.
  const discoverShards = async () => {
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    const described = new Set((StreamDescription?.Shards ?? []).map((shard) => shard.ShardId));
    for (const shard of StreamDescription?.Shards ?? []) {
      if (shards.has(shard.ShardId) || finished.has(shard.ShardId)) continue;
      const parent = shard.ParentShardId;
      if (parent && described.has(parent) && !finished.has(parent)) continue;
      // Shards that appear after start-up hold only new records: read them from the beginning.
      const type = shards.size === 0 && finished.size === 0 ? startingPosition : 'TRIM_HORIZON';
      shards.set(shard.ShardId, { iterator: await iterator(shard.ShardId, type), attempts: 0 });
    }
  };

  // DynamoDB Local hands out iterators that go stale: after 15 minutes
  // (ExpiredIterator, e.g. a sleeping laptop) and, with several streams in one
  // instance, an iterator taken while its shard was empty can point before the
  // shard's first record (TrimmedDataAccess). Either way, take a fresh one just
  // after the last record handed to the function, so nothing is skipped or repeated.
  const STALE_ITERATOR = new Set(['ExpiredIteratorException', 'TrimmedDataAccessException']);
  const freshIterator = (shardId, { lastSequence }) =>
    lastSequence ? iterator(shardId, 'AFTER_SEQUENCE_NUMBER', lastSequence) : iterator(shardId, 'TRIM_HORIZON');

  // A closed shard has children that hold what follows it: look for them at once.
  let rediscover = false;
  const endShard = (shardId) => {
    shards.delete(shardId);
    finished.add(shardId);
    rediscover = true;
  };

  const pollShard = async (shardId, state) => {
    let page;
    try {
      page = await streams.send(new GetRecordsCommand({ ShardIterator: state.iterator, Limit: batchSize }));
    } catch (error) {
      if (!STALE_ITERATOR.has(error.name)) throw error;
      state.iterator = await freshIterator(shardId, state);
      return false;
    }
    const { Records = [], NextShardIterator } = page;
    if (Records.length === 0) {
      if (!NextShardIterator) endShard(shardId);
      else state.iterator = NextShardIterator;
      return false;
    }
    const result = await invoke(functionName, { Records: Records.map((record) => toLambdaRecord(record, streamArn)) });
    const resumeAt = resumeSequenceNumber(result, Records, reportBatchItemFailures);
    if (resumeAt === null) {
      state.attempts = 0;
      state.lastSequence = Records.at(-1).dynamodb.SequenceNumber;
      state.iterator = NextShardIterator;
      if (!NextShardIterator) endShard(shardId);
      log(`${functionName}: ${Records.length} stream record(s) done${flowNote(flowsOf(Records))}`);
      return true;
    }
    state.attempts += 1;
    if (maximumRetryAttempts >= 0 && state.attempts > maximumRetryAttempts) {
      log(`${functionName}: giving up on a batch after ${state.attempts} attempts (on-failure destination in AWS)`);
      state.attempts = 0;
      state.lastSequence = Records.at(-1).dynamodb.SequenceNumber;
      state.iterator = NextShardIterator;
      return true;
    }
    log(`${functionName}: stream batch failed (${result.ok ? 'reported failures' : result.error}); retry ${state.attempts} from ${resumeAt}${flowNote(flowsOf(Records))}`);
    await sleep(retryDelayMs);
    state.iterator = await iterator(shardId, 'AT_SEQUENCE_NUMBER', resumeAt);
    return true;
  };

  const loop = async () => {
    let lastDiscovery = 0;
    while (!stopped) {
      try {
        if (rediscover || Date.now() - lastDiscovery > 5000 || shards.size === 0) {
          rediscover = false;
          await discoverShards();
          lastDiscovery = Date.now();
        }
        let busy = false;
        for (const [shardId, state] of shards) busy = (await pollShard(shardId, state)) || busy;
        if (!busy) await sleep(200);
      } catch (error) {
        if (stopped) break;
        log(`${functionName}: stream poller error, retrying in 1 s: ${error.message}`);
        await sleep(1000);
      }
    }
  };

  const running = loop();
  return {
    async stop() {
      stopped = true;
      await running;
    },
  };
};
