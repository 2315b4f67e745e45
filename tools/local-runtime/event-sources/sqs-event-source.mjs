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
//
// Fault injection (`npm run faults`) lives here too, never in the functions:
// with `failEvery` (the stack's LOCAL_FAULT_CONSUMER_THROW_EVERY), every Nth
// record the mapping takes fails as if its function had thrown on it (see
// injectedFaultPlan). The function's bundle knows nothing of it.
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { setTimeout as sleep } from 'node:timers/promises';
import { usage } from '../stack/usage.mjs';

/**
 * @typedef {import('@aws-sdk/client-sqs').Message} Message
 * @typedef {import('@aws-sdk/client-sqs').SQSClient} SQSClient
 * @typedef {import('@platform/local-runtime/types').InvokeResult} InvokeResult
 * @typedef {import('@platform/local-runtime/types').Invoke} Invoke
 * @typedef {import('@platform/local-runtime/types').HopRecorder} HopRecorder
 * @typedef {'before' | 'after'} InjectedFault
 */

/** The setting `npm run faults` turns injection on with, named in every line about an injected fault. */
export const FAULT_SETTING = 'LOCAL_FAULT_CONSUMER_THROW_EVERY';

/**
 * @template T
 * @param {T[]} list @param {number} size
 * @returns {T[][]}
 */
const chunks = (list, size) => Array.from({ length: Math.ceil(list.length / size) }, (_, i) => list.slice(i * size, (i + 1) * size));

/** @param {string} name */
const lowerFirst = (name) => name.charAt(0).toLowerCase() + name.slice(1);

// The flows a batch belongs to: the correlation ids its messages carry as the SNS
// attribute `correlationId`, so that grepping the output for one finds this line too.
/** @param {Message[]} batch @returns {string[]} */
const flowsOf = (batch) => [
  ...new Set(batch.flatMap((message) => message.MessageAttributes?.correlationId?.StringValue ?? [])),
];
/** @param {string[]} ids */
const flowNote = (ids) => (ids.length > 0 ? ` [${ids.join(' ')}]` : '');

/** @param {Message} message @param {string} queueArn @param {string} region */
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

/**
 * Which records of a batch failed, by the rules of ReportBatchItemFailures.
 * @param {InvokeResult} result @param {string[]} batchIds @param {boolean} reportBatchItemFailures
 * @returns {{ failed: string[], reason?: string }}
 */
export const failedMessageIds = (result, batchIds, reportBatchItemFailures) => {
  if (!result.ok) return { failed: batchIds, reason: `${result.kind}: ${result.error}` };
  if (!reportBatchItemFailures) return { failed: [] };
  const payload = /** @type {{ batchItemFailures?: unknown } | null | undefined} */ (result.payload);
  const failures = payload?.batchItemFailures;
  if (failures === undefined || failures === null) return { failed: [] };
  if (!Array.isArray(failures)) return { failed: batchIds, reason: 'batchItemFailures is not a list' };
  const ids = failures.map((failure) => failure?.itemIdentifier);
  const unknown = ids.filter((id) => typeof id !== 'string' || id === '' || !batchIds.includes(id));
  if (unknown.length > 0) return { failed: batchIds, reason: `unknown itemIdentifier ${JSON.stringify(unknown[0])}` };
  return { failed: [...new Set(/** @type {string[]} */ (ids))] };
};

/**
 * Local fault injection for `npm run faults`: with `every` = N (the stack's
 * LOCAL_FAULT_CONSUMER_THROW_EVERY), every Nth record a mapping takes fails,
 * alternately
 *  - 'before' its handling: it is not delivered to the function at all and
 *    stays on the queue, as a batch item failure the function reported
 *    before doing anything;
 *  - 'after' it: it is delivered and handled, then kept on the queue anyway,
 *    the work done but the acknowledgement lost, as when a function crashes
 *    at the end.
 * Off (undefined every time) when `every` is unset or 0.
 * @param {number | undefined} every
 * @returns {() => InjectedFault | undefined}
 */
export const injectedFaultPlan = (every) => {
  let taken = 0;
  return () => {
    if (every === undefined || !Number.isInteger(every) || every < 1) return undefined;
    taken += 1;
    if (taken % every !== 0) return undefined;
    return (taken / every) % 2 === 1 ? 'before' : 'after';
  };
};

/**
 * @param {{
 *   sqs: SQSClient, queueUrl: string, queueArn: string, functionName: string, invoke: Invoke,
 *   pollers?: number, batchSize?: number, batchWindowSeconds?: number, reportBatchItemFailures?: boolean,
 *   retryVisibilitySeconds?: number, failEvery?: number, region?: string, log?: import('@platform/local-runtime/types').Log, recorder?: HopRecorder,
 * }} options
 */
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
  failEvery,
  region = 'us-east-1',
  log = console.log,
  recorder,
}) => {
  let stopped = false;
  const abort = new AbortController();
  // One plan for the mapping, whichever of its pollers takes the record.
  const injectedFault = injectedFaultPlan(failEvery);

  // Lambda's pollers make these requests in AWS, on the account's bill: counted for the cost model (stack/usage.mjs).
  const queueName = queueArn.split(':').at(-1) ?? queueArn;
  /** @param {string} operation @param {number} messages */
  const meter = (operation, messages) =>
    usage.messaging({ service: 'sqs', caller: `${functionName} (event source mapping)`, operation, resource: queueName, requests: 1, messages, empty: messages === 0 });

  /** @param {number} max @param {number} waitSeconds @returns {Promise<Message[]>} */
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
    meter('ReceiveMessage', Messages.length);
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

  /** @param {Message[]} batch @param {string[]} failedIds */
  const settle = async (batch, failedIds) => {
    const succeeded = batch.filter((message) => !failedIds.includes(String(message.MessageId)));
    for (const group of chunks(succeeded, 10)) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: group.map((message, i) => ({ Id: String(i), ReceiptHandle: message.ReceiptHandle })),
        }),
      );
      meter('DeleteMessageBatch', group.length);
    }
    const failed = batch.filter((message) => failedIds.includes(String(message.MessageId)));
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
      meter('ChangeMessageVisibilityBatch', group.length);
    }
  };

  /**
   * One line per record failed by injection, greppable by the setting's name
   * and, in its JSON tail, by `"name":"InjectedFault"` as a function's own
   * error line would be (`npm run faults` counts them).
   * @param {Message} message @param {InjectedFault} when
   */
  const logInjected = (message, when) => {
    const what =
      when === 'before'
        ? 'failed before delivery: not handed to the function, left on the queue'
        : 'failed after its handling: the function handled it, the poller keeps it on the queue (acknowledgement lost)';
    const correlationId = message.MessageAttributes?.correlationId?.StringValue;
    const details = { name: 'InjectedFault', when, messageId: message.MessageId, ...(correlationId && { correlationId }) };
    log(`${functionName}: injected fault (${FAULT_SETTING}=${failEvery}): record ${message.MessageId} ${what} ${JSON.stringify(details)}`);
  };

  /**
   * Hands the batch to the function, minus the records whose injected fault
   * comes before delivery, and says which records stay on the queue.
   * @param {Message[]} batch
   * @returns {Promise<{ failed: string[], reason?: string, injected: Map<string, InjectedFault> }>}
   */
  const deliver = async (batch) => {
    /** @type {Map<string, InjectedFault>} */
    const injected = new Map();
    for (const message of batch) {
      const when = injectedFault();
      if (when) injected.set(String(message.MessageId), when);
    }
    /** @param {InjectedFault} when */
    const injectedAt = (when) => batch.filter((message) => injected.get(String(message.MessageId)) === when);
    for (const message of injectedAt('before')) logInjected(message, 'before');
    const delivered = batch.filter((message) => injected.get(String(message.MessageId)) !== 'before');
    const deliveredIds = delivered.map((message) => String(message.MessageId));
    /** @type {InvokeResult} */
    const result =
      delivered.length > 0
        ? await invoke(functionName, { Records: delivered.map((m) => toLambdaRecord(m, queueArn, region)) })
        : { ok: true, payload: null, text: 'null' };
    const outcome = failedMessageIds(result, deliveredIds, reportBatchItemFailures);
    for (const message of injectedAt('after')) logInjected(message, 'after');
    if (injected.size === 0) return { ...outcome, injected };
    // Without ReportBatchItemFailures, a record the function "threw on" fails its whole batch, as in AWS.
    const failed = reportBatchItemFailures ? [...new Set([...outcome.failed, ...injected.keys()])] : batch.map((message) => String(message.MessageId));
    const note = `${injected.size} by injected fault, ${FAULT_SETTING}`;
    return { failed, reason: outcome.reason ? `${outcome.reason}; ${note}` : note, injected };
  };

  const loop = async () => {
    while (!stopped) {
      try {
        const batch = await collectBatch();
        if (batch.length === 0) continue;
        const receivedAt = Date.now();
        const { failed, reason, injected } = await deliver(batch);
        await settle(batch, failed);
        // For the local console (recorder.mjs): one hop per message, with what became of it.
        for (const message of recorder ? batch : []) {
          const retry = failed.includes(String(message.MessageId));
          const fault = injected.get(String(message.MessageId));
          const why = fault ? `injected fault ${fault} handling (${FAULT_SETTING})` : reason;
          recorder?.record({ kind: 'sqs', at: receivedAt, functionName, queueArn, message, retry, reason: retry ? why : undefined });
        }
        log(
          `${functionName}: batch of ${batch.length}, ${batch.length - failed.length} done` +
            (failed.length > 0 ? `, ${failed.length} left for retry${reason ? ` (${reason})` : ''}` : '') +
            flowNote(flowsOf(batch)),
        );
      } catch (error) {
        if (stopped) break;
        log(`${functionName}: poller error, retrying in 1 s: ${error instanceof Error ? error.message : String(error)}`);
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
