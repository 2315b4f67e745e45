// What a DynamoDB stream event source mapping does with records it gives up on
// (retries exhausted, or older than its maximum record age): Lambda sends the
// mapping's on-failure destination an invocation record, the coordinates of the
// batch in its shard (not the records themselves), and the shard moves on.
// tools/dlq reads these from the outbox relays' `*-relay-dlq` queues.
import { randomUUID } from 'node:crypto';
import { GetQueueUrlCommand, SendMessageCommand } from '@aws-sdk/client-sqs';

/**
 * @typedef {'RetryAttemptsExhausted' | 'RecordAgeExceeded'} FailureCondition
 * @typedef {{ dynamodb: { SequenceNumber: string, ApproximateCreationDateTime?: Date | number } }} SequencedRecord
 * @typedef {{ requestContext: { requestId: string, functionArn: string, condition: FailureCondition, approximateInvokeCount: number },
 *   responseContext: { statusCode: number, executedVersion: string, functionError?: string },
 *   version: '1.0', timestamp: string,
 *   DDBStreamBatchInfo: { shardId: string, startSequenceNumber: string, endSequenceNumber: string,
 *     approximateArrivalOfFirstRecord?: string, approximateArrivalOfLastRecord?: string, batchSize: number, streamArn: string } }} InvocationRecord
 * @typedef {(record: InvocationRecord) => Promise<void>} OnFailure  sends it; a rejection keeps the shard where it is
 */

/** When the record entered the stream, in epoch ms (undefined: not said). @param {SequencedRecord} record */
export const arrivalOf = (record) => {
  const at = record.dynamodb.ApproximateCreationDateTime;
  if (at instanceof Date) return at.getTime();
  // The Lambda event's form: epoch seconds.
  return typeof at === 'number' ? at * 1000 : undefined;
};

/** @param {SequencedRecord} record */
const arrivalIso = (record) => {
  const at = arrivalOf(record);
  // Lambda writes these to the second, without milliseconds.
  return at === undefined ? undefined : new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
};

/**
 * The invocation record Lambda sends for the `records` it gave up on (in shard sequence, at least one).
 * @param {{ records: SequencedRecord[], shardId: string, streamArn: string, functionName: string,
 *   condition: FailureCondition, invokeCount: number, functionError?: string, now?: Date }} options
 *   functionError: the last invocation's error ('Unhandled'), unset when it answered with batchItemFailures
 * @returns {InvocationRecord}
 */
export const invocationRecord = ({ records, shardId, streamArn, functionName, condition, invokeCount, functionError, now = new Date() }) => {
  const first = /** @type {SequencedRecord} */ (records[0]);
  const last = /** @type {SequencedRecord} */ (records.at(-1));
  // The function lives in the stream's region and account (arn:aws:dynamodb:<region>:<account>:table/…).
  const [, , , region, account] = streamArn.split(':');
  return {
    requestContext: {
      requestId: randomUUID(),
      functionArn: `arn:aws:lambda:${region}:${account}:function:${functionName}`,
      condition,
      approximateInvokeCount: invokeCount,
    },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', ...(functionError && { functionError }) },
    version: '1.0',
    timestamp: now.toISOString(),
    DDBStreamBatchInfo: {
      shardId,
      startSequenceNumber: first.dynamodb.SequenceNumber,
      endSequenceNumber: last.dynamodb.SequenceNumber,
      approximateArrivalOfFirstRecord: arrivalIso(first),
      approximateArrivalOfLastRecord: arrivalIso(last),
      batchSize: records.length,
      streamArn,
    },
  };
};

/**
 * How many of `records` (in shard sequence, so oldest first) are older than `maxAgeSeconds` at `now`.
 * @param {SequencedRecord[]} records @param {number | undefined} maxAgeSeconds -1 or undefined: no limit
 * @param {number} [now] @param {(record: SequencedRecord) => number | undefined} [arrival] epoch ms (undefined: not known, so not expired)
 */
export const expiredCount = (records, maxAgeSeconds, now = Date.now(), arrival = arrivalOf) => {
  if (maxAgeSeconds === undefined || maxAgeSeconds < 0) return 0;
  const index = records.findIndex((record) => {
    const at = arrival(record);
    return at === undefined || now - at <= maxAgeSeconds * 1000;
  });
  return index === -1 ? records.length : index;
};

/**
 * An on-failure destination that is an SQS queue (a mapping's DestinationConfig.OnFailure.Destination).
 * Its URL is asked for on first use, so a queue provisioned after the poller starts is found.
 * @param {{ sqs: import('@aws-sdk/client-sqs').SQSClient, destinationArn: string }} options
 * @returns {OnFailure}
 */
export const sqsOnFailure = ({ sqs, destinationArn }) => {
  const [, , service, , account, name] = destinationArn.split(':');
  // Lambda also takes an SNS topic (or S3 for some sources); the stacks here only use queues.
  if (service !== 'sqs' || !name) throw new Error(`on-failure destination ${destinationArn} is not an SQS queue: not emulated locally`);
  /** @type {Promise<string | undefined> | undefined} */
  let url;
  return async (record) => {
    url ??= sqs.send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account })).then(({ QueueUrl }) => QueueUrl);
    let queueUrl;
    try {
      queueUrl = await url;
    } catch (error) {
      url = undefined; // asked again next time
      throw error;
    }
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(record) }));
  };
};
