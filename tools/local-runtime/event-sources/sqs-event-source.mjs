// A local stand-in for Lambda's SQS event source mapping, because no plugin
// available here gets its semantics right:
//  - batches of up to `batchSize`, gathered for up to `batchWindowSeconds`;
//  - a function error (it threw, timed out, or answered garbage) fails the
//    whole batch: nothing is deleted, every record becomes visible again;
//  - with ReportBatchItemFailures, only the records named in
//    batchItemFailures are left on the queue; the rest are deleted. An
//    itemIdentifier that is empty or not in the batch fails the whole batch;
//  - failed records come back after the queue's visibility timeout, and the
//    queue's redrive policy moves them to the DLQ after maxReceiveCount;
//  - up to `pollers` batches are in flight at once, as Lambda scales a
//    mapping's concurrent batches up to the function's concurrency.
// `retryVisibilitySeconds`, when set, shortens that wait (tests use it); by
// default the queue's own visibility timeout applies, as in AWS.
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { setTimeout as sleep } from 'node:timers/promises';

const chunks = (list, size) => Array.from({ length: Math.ceil(list.length / size) }, (_, i) => list.slice(i * size, (i + 1) * size));

const lowerFirst = (name) => name.charAt(0).toLowerCase() + name.slice(1);

// The flows a batch belongs to: the correlation ids its messages carry as the SNS
// attribute `correlationId`, so that grepping the output for one finds this line too.
const flowsOf = (batch) => [...new Set(batch.map((message) => message.MessageAttributes?.correlationId?.StringValue).filter(Boolean))];
const flowNote = (ids) => (ids.length > 0 ? ` [${ids.join(' ')}]` : '');

const toLambdaRecord = (message, queueArn, region) => ({
  messageId: message.MessageId,
  receiptHandle: message.ReceiptHandle,
  body: message.Body,
  attributes: message.Attributes ?? {},
  messageAttributes: Object.fromEntries(
    Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
      name,
      { ...Object.fromEntries(Object.entries(value).map(([key, v]) => [lowerFirst(key), v])), stringListValues: [], binaryListValues: [] },
    ]),
  ),
  md5OfBody: message.MD5OfBody,
  eventSource: 'aws:sqs',
  eventSourceARN: queueArn,
  awsRegion: region,
});

/** Which records of a batch failed, by the rules of ReportBatchItemFailures. */
export const failedMessageIds = (result, batchIds, reportBatchItemFailures) => {
  if (!result.ok) return { failed: batchIds, reason: `function error: ${result.error}` };
  if (!reportBatchItemFailures) return { failed: [] };
  const failures = result.payload?.batchItemFailures;
  if (failures === undefined || failures === null) return { failed: [] };
  if (!Array.isArray(failures)) return { failed: batchIds, reason: 'batchItemFailures is not a list' };
  const ids = failures.map((failure) => failure?.itemIdentifier);
  const unknown = ids.filter((id) => typeof id !== 'string' || id === '' || !batchIds.includes(id));
  if (unknown.length > 0) return { failed: batchIds, reason: `unknown itemIdentifier ${JSON.stringify(unknown[0])}` };
  return { failed: [...new Set(ids)] };
};

export const startSqsEventSource = ({
  sqs,
  queueUrl,
  queueArn,
  functionName,
  invoke,
  pollers = 1,
  batchSize = 10,
  batchWindowSeconds = 0,
  reportBatchItemFailures = false,
  retryVisibilitySeconds,
  region = 'us-east-1',
  log = console.log,
  recorder,
}) => {
  let stopped = false;
  const abort = new AbortController();

  const receive = async (max, waitSeconds) => {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(10, max),
        WaitTimeSeconds: waitSeconds,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
      { abortSignal: abort.signal },
    );
    return Messages;
  };

  const collectBatch = async () => {
    const batch = await receive(batchSize, 2);
    if (batch.length === 0) return batch;
    const deadline = Date.now() + batchWindowSeconds * 1000;
    while (!stopped && batch.length < batchSize && Date.now() < deadline) {
      const more = await receive(batchSize - batch.length, 0);
      if (more.length === 0) await sleep(Math.min(100, Math.max(0, deadline - Date.now())));
      batch.push(...more);
    }
    return batch;
  };

  const settle = async (batch, failedIds) => {
    const succeeded = batch.filter((message) => !failedIds.includes(message.MessageId));
    for (const group of chunks(succeeded, 10)) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: group.map((message, i) => ({ Id: String(i), ReceiptHandle: message.ReceiptHandle })),
        }),
      );
    }
    const failed = batch.filter((message) => failedIds.includes(message.MessageId));
    if (retryVisibilitySeconds === undefined) return;
    for (const group of chunks(failed, 10)) {
      await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: group.map((message, i) => ({
            Id: String(i),
            ReceiptHandle: message.ReceiptHandle,
            VisibilityTimeout: retryVisibilitySeconds,
          })),
        }),
      );
    }
  };

  const loop = async () => {
    while (!stopped) {
      try {
        const batch = await collectBatch();
        if (batch.length === 0) continue;
        const receivedAt = Date.now();
        const batchIds = batch.map((message) => message.MessageId);
        const result = await invoke(functionName, { Records: batch.map((m) => toLambdaRecord(m, queueArn, region)) });
        const { failed, reason } = failedMessageIds(result, batchIds, reportBatchItemFailures);
        await settle(batch, failed);
        // For the local console (recorder.mjs): one hop per message, with what became of it.
        for (const message of recorder ? batch : []) {
          const retry = failed.includes(message.MessageId);
          recorder.record({ kind: 'sqs', at: receivedAt, functionName, queueArn, message, retry, reason: retry ? reason : undefined });
        }
        log(
          `${functionName}: batch of ${batch.length}, ${batch.length - failed.length} done` +
            (failed.length > 0 ? `, ${failed.length} left for retry${reason ? ` (${reason})` : ''}` : '') +
            flowNote(flowsOf(batch)),
        );
      } catch (error) {
        if (stopped) break;
        log(`${functionName}: poller error, retrying in 1 s: ${error.message}`);
        await sleep(1000);
      }
    }
  };

  const running = Promise.all(Array.from({ length: pollers }, loop));
  return {
    async stop() {
      stopped = true;
      abort.abort();
      await running;
    },
  };
};
