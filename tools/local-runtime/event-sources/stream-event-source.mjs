// A local stand-in for Lambda's DynamoDB Streams event source mapping:
// records of each shard in sequence, `batchSize` at a time; a function error
// retries the same batch; with ReportBatchItemFailures the shard resumes
// from the lowest failed sequence number. Retries go on until
// `maximumRetryAttempts` (-1: until the record leaves the stream, as in AWS)
// or until the batch's records are older than `maximumRecordAgeSeconds` (or than
// `localMaxRecordAgeSeconds`, counted from when this poller first read them); then
// the batch's coordinates go to the on-failure destination (stream-failures.mjs)
// and the shard moves past it, so one poison record does not block it for good.
// With `bisectBatchOnFunctionError` a function error splits the batch in two
// and the halves are retried: that does not count as a retry, as in AWS, so
// retries are spent on the failing record alone.
// Each shard keeps a checkpoint (the last record fully processed, or the
// first record of a batch being retried); an iterator that goes stale is
// renewed from it. One shard's errors never stop another shard's reading.
// With `checkpoints` (checkpoints.mjs, LOCAL_PERSIST=1), each shard's checkpoint
// outlives the stack: a restarted stack resumes just after the last record its
// mapping processed, as a mapping in AWS does, instead of at its starting position.
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { setTimeout as sleep } from 'node:timers/promises';
import { expiredCount, invocationRecord } from './stream-failures.mjs';

/**
 * @typedef {import('@aws-sdk/client-dynamodb-streams')._Record & { dynamodb: import('@aws-sdk/client-dynamodb-streams').StreamRecord & { SequenceNumber: string } }} StreamRecord
 *   a record as GetRecords gives it: DynamoDB Streams always sets its sequence number
 * @typedef {{ iterator: string | null | undefined, startType?: import('@aws-sdk/client-dynamodb-streams').ShardIteratorType,
 *   attempts: number, invokes: number, functionError?: string, lastSequence?: string, retryFrom?: string, notBefore: number, saved?: boolean,
 *   limit?: number, bisectEnd?: string, firstRead: Map<string, number> }} ShardState
 *   attempts: retries of the batch at retryFrom (a bisect is not one); invokes: all its failed invocations (approximateInvokeCount);
 *   functionError: the last one's, for the on-failure record; saved: lastSequence came from a checkpoint an earlier stack kept;
 *   limit: records a read takes while a bisected batch (up to bisectEnd) is worked through;
 *   firstRead: when each record not yet behind the shard was first read (epoch ms), for the local age limit
 */

/** @param {StreamRecord} record @param {string} streamArn */
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
/** @param {StreamRecord[]} records @returns {string[]} */
const flowsOf = (records) => [...new Set(records.flatMap((record) => record.dynamodb?.NewImage?.correlationId?.S ?? []))];
/** @param {string[]} ids */
const flowNote = (ids) => (ids.length > 0 ? ` [${ids.join(' ')}]` : '');

/**
 * Where to resume after a batch: null when it all succeeded.
 * @param {import('@platform/local-runtime/types').InvokeResult} result @param {StreamRecord[]} records (at least one) @param {boolean} reportBatchItemFailures
 * @returns {string | null}
 */
export const resumeSequenceNumber = (result, records, reportBatchItemFailures) => {
  const first = /** @type {StreamRecord} */ (records[0]).dynamodb.SequenceNumber;
  if (!result.ok) return first;
  if (!reportBatchItemFailures) return null;
  const failures = /** @type {{ batchItemFailures?: unknown } | null} */ (result.payload)?.batchItemFailures;
  if (failures === undefined || failures === null || (Array.isArray(failures) && failures.length === 0)) return null;
  if (!Array.isArray(failures)) return first;
  const inBatch = new Set(records.map((record) => record.dynamodb.SequenceNumber));
  const ids = failures.map((failure) => failure?.itemIdentifier);
  if (ids.some((id) => !inBatch.has(id))) return first;
  return ids.sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1))[0];
};

/**
 * @param {{
 *   streams: import('@aws-sdk/client-dynamodb-streams').DynamoDBStreamsClient, streamArn: string, functionName: string, invoke: import('@platform/local-runtime/types').Invoke,
 *   batchSize?: number, startingPosition?: import('@aws-sdk/client-dynamodb-streams').ShardIteratorType, reportBatchItemFailures?: boolean,
 *   maximumRetryAttempts?: number, maximumRecordAgeSeconds?: number, localMaxRecordAgeSeconds?: number, bisectBatchOnFunctionError?: boolean, onFailure?: import('./stream-failures.mjs').OnFailure,
 *   retryDelayMs?: number, log?: import('@platform/local-runtime/types').Log, recorder?: import('@platform/local-runtime/types').HopRecorder,
 *   checkpoints?: import('./checkpoints.mjs').Checkpoints,
 * }} options
 *   maximumRecordAgeSeconds: the mapping's MaximumRecordAgeInSeconds (-1: no limit);
 *   localMaxRecordAgeSeconds: LOCAL_STREAM_MAX_RECORD_AGE_SECONDS (unset: the mapping's limit alone). It counts from the
 *   record's first read, not its ApproximateCreationDateTime, which DynamoDB Local gives to the minute; and so a backlog
 *   read after a restart is still invoked, however old.
 *   onFailure: the mapping's on-failure destination (sqsOnFailure); without one, records given up on are only logged, as AWS drops them.
 */
export const startStreamEventSource = ({
  streams,
  streamArn,
  functionName,
  invoke,
  batchSize = 100,
  startingPosition = 'TRIM_HORIZON',
  reportBatchItemFailures = false,
  maximumRetryAttempts = -1,
  maximumRecordAgeSeconds = -1,
  localMaxRecordAgeSeconds,
  bisectBatchOnFunctionError = false,
  onFailure,
  retryDelayMs = 1000,
  log = console.log,
  recorder,
  checkpoints,
}) => {
  let stopped = false;
  // shardId → { iterator (null: take one from the checkpoint), startType (until the first iterator),
  //   attempts, lastSequence (last record fully processed), retryFrom (first record of a batch
  //   being retried), notBefore (epoch ms: the shard waits after an error or a failed batch) }
  /** @type {Map<string, ShardState>} */
  const shards = new Map();
  /** @type {Set<string>} */
  const finished = new Set();
  // Whether an earlier stack's checkpoints say where this mapping got to: then a shard it never read holds only newer records.
  const resumed = Boolean(checkpoints && checkpoints.size() > 0);
  /** The checkpoint of a shard moved: kept, when the stack keeps them. @param {string} shardId @param {string} sequenceNumber */
  const checkpoint = (shardId, sequenceNumber) => checkpoints?.set(functionName, streamArn, shardId, sequenceNumber);

  /**
   * A shard iterator of `type`; AT_/AFTER_SEQUENCE_NUMBER take `sequenceNumber`.
   * @param {string} shardId @param {import('@aws-sdk/client-dynamodb-streams').ShardIteratorType} type @param {string} [sequenceNumber]
   */
  const iterator = async (shardId, type, sequenceNumber) => {
    const { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ShardIteratorType: type, SequenceNumber: sequenceNumber }),
    );
    return ShardIterator;
  };

  // A shard is read only once its parent is read to the end (or gone from
  // the stream), as Lambda does, so a backlog is relayed in sequence.
  const discoverShards = async () => {
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    const described = new Set((StreamDescription?.Shards ?? []).map((shard) => shard.ShardId));
    for (const shard of StreamDescription?.Shards ?? []) {
      const shardId = /** @type {string} */ (shard.ShardId); // DescribeStream always names its shards
      if (shards.has(shardId) || finished.has(shardId)) continue;
      const parent = shard.ParentShardId;
      if (parent && described.has(parent) && !finished.has(parent)) continue;
      // A shard this mapping read before the stack restarted resumes after its checkpoint.
      const saved = checkpoints?.get(functionName, streamArn, shardId);
      if (saved) {
        shards.set(shardId, { iterator: null, attempts: 0, invokes: 0, notBefore: 0, lastSequence: saved, saved: true, firstRead: new Map() });
        continue;
      }
      // Shards that appear after start-up hold only new records: read them from the beginning.
      const type = shards.size === 0 && finished.size === 0 && !resumed ? startingPosition : 'TRIM_HORIZON';
      // The iterator is taken on the shard's first poll, so a failure there is that shard's alone.
      shards.set(shardId, { iterator: null, startType: type, attempts: 0, invokes: 0, notBefore: 0, firstRead: new Map() });
    }
  };

  // DynamoDB Local hands out iterators that go stale: after 15 minutes
  // (ExpiredIterator, e.g. a sleeping laptop) and, with several streams in one
  // instance, an iterator taken while its shard was empty can point before the
  // shard's first record (TrimmedDataAccess). Either way, take a fresh one from
  // the checkpoint, so nothing is skipped or repeated: at the first record of a
  // batch being retried, else just after the last record fully processed, else
  // (nothing processed yet) at the shard's start.
  const STALE_ITERATOR = new Set(['ExpiredIteratorException', 'TrimmedDataAccessException']);
  /** @param {string} shardId @param {ShardState} state */
  const freshIterator = async (shardId, state) => {
    if (state.startType) {
      const first = await iterator(shardId, state.startType);
      state.startType = undefined;
      return first;
    }
    if (state.retryFrom) return iterator(shardId, 'AT_SEQUENCE_NUMBER', state.retryFrom);
    if (state.lastSequence && state.saved) {
      // An earlier stack's checkpoint: if the stream no longer has that record, read what it has.
      state.saved = false;
      try {
        return await iterator(shardId, 'AFTER_SEQUENCE_NUMBER', state.lastSequence);
      } catch (error) {
        log(`${functionName}: shard ${shardId}: cannot resume after the kept checkpoint ${state.lastSequence} (${/** @type {Error} */ (error).name}), reading it from its oldest record`);
        return iterator(shardId, 'TRIM_HORIZON');
      }
    }
    if (state.lastSequence) return iterator(shardId, 'AFTER_SEQUENCE_NUMBER', state.lastSequence);
    return iterator(shardId, 'TRIM_HORIZON');
  };

  // A closed shard has children that hold what follows it: look for them at once.
  let rediscover = false;
  /** @param {string} shardId */
  const endShard = (shardId) => {
    shards.delete(shardId);
    finished.add(shardId);
    rediscover = true;
  };

  /** @param {string} shardId @param {ShardState} state @returns {Promise<boolean>} whether it had records */
  const pollShard = async (shardId, state) => {
    state.iterator ??= await freshIterator(shardId, state);
    let page;
    try {
      page = await streams.send(new GetRecordsCommand({ ShardIterator: state.iterator, Limit: state.limit ?? batchSize }));
    } catch (error) {
      const { name } = /** @type {Error} */ (error);
      if (!STALE_ITERATOR.has(name)) throw error;
      log(`${functionName}: shard ${shardId}: ${name}, renewing the iterator from the checkpoint`);
      state.iterator = null;
      state.iterator = await freshIterator(shardId, state);
      return false;
    }
    const { Records = [], NextShardIterator } = /** @type {{ Records?: StreamRecord[], NextShardIterator?: string }} */ (page);
    if (Records.length === 0) {
      if (!NextShardIterator) endShard(shardId);
      else state.iterator = NextShardIterator;
      return false;
    }
    // The batch is behind the shard: done, or given up on. `done` are its first records, when only they are.
    /** @param {StreamRecord[]} done */
    const moveOn = (done = Records) => {
      const lastDone = /** @type {StreamRecord} */ (done.at(-1)).dynamodb.SequenceNumber;
      state.attempts = 0;
      state.retryFrom = undefined;
      state.lastSequence = lastDone;
      checkpoint(shardId, lastDone);
      for (const sequence of state.firstRead.keys()) if (BigInt(sequence) <= BigInt(lastDone)) state.firstRead.delete(sequence);
      // Past the bisected batch: back to full batches. Until then the rest of it keeps its
      // count of failed invocations: they all held its records.
      if (state.bisectEnd !== undefined && BigInt(lastDone) >= BigInt(state.bisectEnd)) {
        state.limit = undefined;
        state.bisectEnd = undefined;
      }
      if (state.bisectEnd === undefined) {
        state.invokes = 0;
        state.functionError = undefined;
      }
      if (lastDone !== /** @type {StreamRecord} */ (Records.at(-1)).dynamodb.SequenceNumber) {
        state.iterator = null; // the rest is read again, after the checkpoint
        return;
      }
      state.iterator = NextShardIterator;
      if (!NextShardIterator) endShard(shardId);
    };
    // Lambda sends the coordinates of `records` to the on-failure destination and skips them.
    // Sent before the checkpoint moves: if sending fails, the shard waits and tries again.
    /** @param {StreamRecord[]} records @param {import('./stream-failures.mjs').FailureCondition} condition */
    const giveUp = async (records, condition) => {
      const first = /** @type {StreamRecord} */ (records[0]).dynamodb.SequenceNumber;
      const span = `${records.length} record(s) ${first}…${/** @type {StreamRecord} */ (records.at(-1)).dynamodb.SequenceNumber} of shard ${shardId}`;
      if (onFailure) {
        await onFailure(invocationRecord({ records, shardId, streamArn, functionName, condition, invokeCount: state.invokes, functionError: state.functionError }));
        log(`${functionName}: ${condition}: gave up on ${span}, sent to the on-failure destination${flowNote(flowsOf(records))}`);
      } else {
        log(`${functionName}: ${condition}: gave up on ${span} (no on-failure destination: dropped, as in AWS)${flowNote(flowsOf(records))}`);
      }
      moveOn(records);
    };

    // Records older than the maximum age are not invoked (again): oldest first, so they lead the batch.
    const now = Date.now();
    for (const record of Records) if (!state.firstRead.has(record.dynamodb.SequenceNumber)) state.firstRead.set(record.dynamodb.SequenceNumber, now);
    const expired = Math.max(
      expiredCount(Records, maximumRecordAgeSeconds, now),
      expiredCount(Records, localMaxRecordAgeSeconds, now, (record) => state.firstRead.get(record.dynamodb.SequenceNumber)),
    );
    if (expired > 0) {
      await giveUp(Records.slice(0, expired), 'RecordAgeExceeded');
      return true;
    }

    const first = /** @type {StreamRecord} */ (Records[0]);
    const readAt = Date.now();
    const result = await invoke(functionName, { Records: Records.map((record) => toLambdaRecord(record, streamArn)) });
    const resumeAt = resumeSequenceNumber(result, Records, reportBatchItemFailures);
    // For the local console (recorder.mjs): one hop per record; `retry` for those the shard reads again.
    if (recorder) {
      const retryFrom = resumeAt === null ? undefined : BigInt(resumeAt);
      for (const record of Records) {
        recorder.record({ kind: 'stream', at: readAt, functionName, streamArn, record, retry: retryFrom !== undefined && BigInt(record.dynamodb.SequenceNumber) >= retryFrom });
      }
    }
    if (resumeAt === null) {
      moveOn();
      log(`${functionName}: ${Records.length} stream record(s) done${flowNote(flowsOf(Records))}`);
      return true;
    }
    state.invokes += 1;
    state.functionError = result.ok ? undefined : 'Unhandled';
    // The records before resumeAt are done; the retry starts at resumeAt. The shard waits
    // (the others do not) and then takes its iterator from this checkpoint.
    /** @param {string} how */
    const retryLater = (how) => {
      log(`${functionName}: stream batch failed (${result.ok ? 'reported failures' : result.error}); ${how} from ${resumeAt}${flowNote(flowsOf(Records))}`);
      state.retryFrom = resumeAt;
      state.iterator = null;
      state.notBefore = Date.now() + retryDelayMs;
    };
    // A function error with several records: split the batch and retry its first half, not counted as a retry.
    if (!result.ok && bisectBatchOnFunctionError && Records.length > 1) {
      state.limit = Math.ceil(Records.length / 2);
      const end = /** @type {StreamRecord} */ (Records.at(-1)).dynamodb.SequenceNumber;
      if (state.bisectEnd === undefined || BigInt(end) > BigInt(state.bisectEnd)) state.bisectEnd = end;
      retryLater(`bisected, retrying ${state.limit} record(s)`);
      return true;
    }
    if (resumeAt !== first.dynamodb.SequenceNumber) {
      // Reported failures after some successes: those are done, and a new batch starts at resumeAt.
      const doneCount = Records.findIndex((record) => record.dynamodb.SequenceNumber === resumeAt);
      const lastDone = /** @type {StreamRecord} */ (Records[doneCount - 1]);
      state.lastSequence = lastDone.dynamodb.SequenceNumber;
      checkpoint(shardId, state.lastSequence);
    }
    state.attempts += 1;
    if (maximumRetryAttempts >= 0 && state.attempts > maximumRetryAttempts) {
      await giveUp(Records.slice(Records.findIndex((record) => record.dynamodb.SequenceNumber === resumeAt)), 'RetryAttemptsExhausted');
      return true;
    }
    retryLater(`retry ${state.attempts}`);
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
        for (const [shardId, state] of shards) {
          if (stopped) break;
          if (state.notBefore > Date.now()) continue;
          try {
            busy = (await pollShard(shardId, state)) || busy;
          } catch (error) {
            // This shard alone waits and tries again (with its iterator, or one from its checkpoint).
            if (stopped) break;
            log(`${functionName}: stream shard ${shardId} error, retrying it in 1 s: ${error instanceof Error ? error.message : String(error)}`);
            state.notBefore = Date.now() + 1000;
          }
        }
        if (!busy) await sleep(Math.min(200, retryDelayMs));
      } catch (error) {
        if (stopped) break;
        log(`${functionName}: stream poller error, retrying in 1 s: ${error instanceof Error ? error.message : String(error)}`);
        await sleep(1000);
      }
    }
  };

  const running = loop();
  return {
    async stop() {
      stopped = true;
      await running;
      checkpoints?.flush();
    },
  };
};
