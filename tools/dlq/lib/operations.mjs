// The dead-letter queue operations: list, peek, redrive, purge. Plain
// functions over a Target (./target.mjs), so the CLI (../dlq.mjs) and a web
// console share one code path; every expected failure is a DlqError.
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { setTimeout as sleep } from 'node:timers/promises';
import { DlqError } from './errors.mjs';
import { requireQueues, resolveDeadLetterQueue } from './queues.mjs';

/** @typedef {import('./target.mjs').Target} Target */
/** @typedef {import('./queues.mjs').DeadLetterQueue} DeadLetterQueue */
/** @typedef {import('@aws-sdk/client-sqs').Message} Message */

// ---------------------------------------------------------------- guards

const PRODUCTION = /(^|[^a-z0-9])(prod|production|prd|live)($|[^a-z0-9])/i;

/**
 * Whether a stage is named like production: prod, production, prd or live as
 * a word of it (`prod`, `eu-prod`, `Live`; not `preprod` or `liveness`).
 * @param {string} stage
 */
export const isProductionStage = (stage) => PRODUCTION.test(stage);

/**
 * Throws unless a purge was confirmed (`yes`), and, on a stage named like
 * production, forced as well. Checked before anything is looked up.
 * @param {string} stage
 * @param {{ yes?: boolean, force?: boolean }} options
 */
export const assertPurgeAllowed = (stage, { yes = false, force = false } = {}) => {
  const production = isProductionStage(stage);
  if (production && !(yes && force)) {
    throw new DlqError(`refusing to purge on stage ${stage}, which is named like production: pass --yes --force to delete its messages for good`, 'PRODUCTION_STAGE');
  }
  if (!yes) throw new DlqError('refusing to purge without --yes: purging deletes every message of the queue for good', 'CONFIRMATION_REQUIRED');
};

// ---------------------------------------------------------------- look-up

/**
 * The dead-letter queue named `name` (full or short name) on the target.
 * @param {Target} target
 * @param {string} name
 * @returns {Promise<DeadLetterQueue>}
 */
export const findDeadLetterQueue = async (target, name) => resolveDeadLetterQueue(await requireQueues(target), name, target);

/** @param {Target} target @param {string} url */
const counts = async (target, url) => {
  const { Attributes = {} } = await target.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return {
    depth: Number(Attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0),
  };
};

// ---------------------------------------------------------------- peek

/**
 * @typedef {object} PeekedMessage
 * @property {string} messageId
 * @property {string} body
 * @property {number} receiveCount     ApproximateReceiveCount, this peek's receive included
 * @property {string | undefined} sentAt  when it was first sent (to the source queue, for a standard queue)
 * @property {number | undefined} ageSeconds
 * @property {string | undefined} deadLetterSourceArn  the queue it died in, when SQS says (AWS does, fauxqs does not)
 * @property {Record<string, string>} attributes  the message's system attributes
 * @property {Record<string, string>} messageAttributes  its message attributes, as text
 * @property {{ id?: unknown, type?: unknown, version?: unknown, occurredAt?: unknown, source?: unknown } | undefined} event
 *   the event envelope's header, when the body is one
 * @property {Record<string, unknown> | undefined} streamBatch  a relay's failed stream batch (DDBStreamBatchInfo), when the body is one
 * @property {Record<string, unknown> | undefined} failure  Lambda's requestContext/responseContext of that failure
 */

/** @param {string} body */
const parseJson = (body) => {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
};

/**
 * What a message is: the event envelope `{id, type, version, occurredAt, source, data}`
 * (raw delivery; an SNS notification wrapper is unwrapped), or the record
 * Lambda sends to a stream's on-failure destination.
 * @param {Message} message
 * @returns {PeekedMessage}
 */
export const describeMessage = (message) => {
  const attributes = /** @type {Record<string, string>} */ (message.Attributes ?? {});
  const sent = attributes.SentTimestamp ? Number(attributes.SentTimestamp) : undefined;
  let parsed = parseJson(message.Body ?? '');
  if (parsed?.Type === 'Notification' && typeof parsed.Message === 'string') parsed = parseJson(parsed.Message) ?? parsed;
  const isEnvelope = parsed && typeof parsed === 'object' && typeof parsed.type === 'string' && 'id' in parsed;
  return {
    messageId: message.MessageId ?? '',
    body: message.Body ?? '',
    receiveCount: Number(attributes.ApproximateReceiveCount ?? 0),
    sentAt: sent === undefined ? undefined : new Date(sent).toISOString(),
    ageSeconds: sent === undefined ? undefined : Math.max(0, Math.round((Date.now() - sent) / 1000)),
    deadLetterSourceArn: attributes.DeadLetterQueueSourceArn,
    attributes,
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        value.StringValue ?? (value.BinaryValue ? `(${value.BinaryValue.length} bytes of ${value.DataType})` : ''),
      ]),
    ),
    event: isEnvelope
      ? { id: parsed.id, type: parsed.type, version: parsed.version, occurredAt: parsed.occurredAt, source: parsed.source }
      : undefined,
    streamBatch: parsed?.DDBStreamBatchInfo ?? parsed?.KinesisBatchInfo,
    failure: parsed?.DDBStreamBatchInfo || parsed?.KinesisBatchInfo ? { ...parsed.requestContext, ...parsed.responseContext } : undefined,
  };
};

/**
 * Makes received messages visible again at once.
 * @param {Target} target @param {string} queueUrl @param {Message[]} messages
 */
const release = async (target, queueUrl, messages) => {
  for (let i = 0; i < messages.length; i += 10) {
    const group = messages.slice(i, i + 10);
    try {
      await target.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: group.map((message, n) => ({ Id: String(n), ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 })),
        }),
      );
    } catch {
      // They come back by themselves when their (short) visibility timeout ends.
    }
  }
};

/**
 * @param {Target} target @param {string} queueUrl @param {number} max
 * @param {number} visibilitySeconds @param {number} waitSeconds
 * @returns {Promise<Message[]>}
 */
const receive = async (target, queueUrl, max, visibilitySeconds, waitSeconds) => {
  const { Messages = [] } = await target.sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: Math.max(1, Math.min(10, max)),
      VisibilityTimeout: visibilitySeconds,
      WaitTimeSeconds: waitSeconds,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
  );
  return Messages;
};

/** How long a peeked message stays hidden if the peek dies before it hands it back. */
export const PEEK_VISIBILITY_SECONDS = 10;

/**
 * Shows up to `max` messages of a queue without consuming them.
 *
 * SQS has no way to read a message without receiving it, so this is the
 * least-bad way: receive with a short VisibilityTimeout, so that the next
 * receive of the same peek returns other messages rather than the same ones
 * again (a receive with VisibilityTimeout 0 cannot page past the first ten),
 * then immediately ChangeMessageVisibility to 0 so they are visible again.
 * What it costs: every peek counts as a receive, so ApproximateReceiveCount
 * goes up by one (the count shown includes this peek) and, on a queue with a
 * RedrivePolicy of its own, could move a message on; while a peek runs its
 * messages are invisible to a concurrent redrive, and if the peek dies
 * before handing them back they reappear after PEEK_VISIBILITY_SECONDS. The
 * messages are never deleted, and SentTimestamp is unchanged.
 * @param {Target} target
 * @param {DeadLetterQueue | { url: string }} queue
 * @param {{ max?: number, visibilitySeconds?: number }} [options]
 * @returns {Promise<PeekedMessage[]>}
 */
export const peekMessages = async (target, queue, { max = 10, visibilitySeconds = PEEK_VISIBILITY_SECONDS } = {}) => {
  /** @type {Message[]} */
  const held = [];
  try {
    while (held.length < max) {
      // A 1 s long poll: a short poll samples only some SQS hosts and can come back empty while messages wait.
      const messages = await receive(target, queue.url, max - held.length, visibilitySeconds, 1);
      if (messages.length === 0) break;
      held.push(...messages);
    }
  } finally {
    await release(target, queue.url, held);
  }
  return held.map(describeMessage);
};

// ---------------------------------------------------------------- list

/**
 * @typedef {DeadLetterQueue & {
 *   depth: number, inFlight: number, delayed: number, retentionSeconds: number | undefined,
 *   oldestSentAt: string | undefined, oldestAgeSeconds: number | undefined,
 *   oldestExpiresInSeconds: number | undefined, sampled: number, ageIsLowerBound: boolean,
 * }} DeadLetterQueueSummary
 * `oldestAgeSeconds`: age of the oldest of `sampled` peeked messages, from its
 * SentTimestamp (when it was first sent to the source queue; a standard DLQ
 * keeps it, and its retention counts from it too). With more messages than
 * were sampled the true oldest may be older (`ageIsLowerBound`).
 */

/**
 * Every dead-letter queue of the target's services with its depth, in-flight
 * count, the age of its oldest message and its source queue(s).
 *
 * The age comes from peeked SentTimestamps (up to 10 messages per non-empty
 * DLQ), locally and in AWS alike: fauxqs has no CloudWatch, and in AWS the
 * ApproximateAgeOfOldestMessage metric of a DLQ counts from when the message
 * was moved there, lags by minutes, and needs another client and permission,
 * while the message's expiry counts from its SentTimestamp.
 * `sampleAge: false` skips the peek (and its receive-count bump).
 * @param {Target} target
 * @param {{ sampleAge?: boolean }} [options]
 * @returns {Promise<DeadLetterQueueSummary[]>}
 */
export const listDeadLetterQueues = async (target, { sampleAge = true } = {}) => {
  const { deadLetterQueues } = await requireQueues(target);
  return Promise.all(
    deadLetterQueues.map(async (dlq) => {
      const depth = Number(dlq.attributes.ApproximateNumberOfMessages ?? 0);
      const retentionSeconds = dlq.attributes.MessageRetentionPeriod ? Number(dlq.attributes.MessageRetentionPeriod) : undefined;
      // No more than it holds, so the peek ends without waiting on an empty receive.
      const sample = sampleAge && depth > 0 ? await peekMessages(target, dlq, { max: Math.min(10, depth), visibilitySeconds: 5 }) : [];
      const sent = sample.map((m) => (m.sentAt ? Date.parse(m.sentAt) : NaN)).filter((t) => !Number.isNaN(t));
      const oldest = sent.length > 0 ? Math.min(...sent) : undefined;
      const oldestAgeSeconds = oldest === undefined ? undefined : Math.max(0, Math.round((Date.now() - oldest) / 1000));
      return {
        ...dlq,
        depth,
        inFlight: Number(dlq.attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
        delayed: Number(dlq.attributes.ApproximateNumberOfMessagesDelayed ?? 0),
        retentionSeconds,
        oldestSentAt: oldest === undefined ? undefined : new Date(oldest).toISOString(),
        oldestAgeSeconds,
        oldestExpiresInSeconds:
          oldestAgeSeconds === undefined || retentionSeconds === undefined ? undefined : Math.max(0, retentionSeconds - oldestAgeSeconds),
        sampled: sample.length,
        ageIsLowerBound: sample.length < depth,
      };
    }),
  );
};

// ---------------------------------------------------------------- redrive

/**
 * @typedef {object} RedriveProgress
 * @property {'start' | 'moved' | 'task' | 'fallback'} type
 * @property {number} moved
 * @property {number | undefined} total  how many there were to move, as far as SQS knows
 * @property {string} text  one line for a human
 */

/**
 * @typedef {object} RedriveResult
 * @property {'copy' | 'move-task'} strategy
 * @property {number} moved
 * @property {string[]} destinations
 * @property {number} skipped  messages that arrived in the DLQ after the redrive started (left there)
 * @property {boolean} interrupted
 * @property {string} [taskHandle]
 * @property {string} [status]  the move task's last status
 */

/** Why a relay's failure queue cannot be redriven, and what to do instead. @param {DeadLetterQueue} dlq */
const streamFailuresRefusal = (dlq) =>
  `refusing to redrive ${dlq.name}: it holds the coordinates of stream batches an outbox relay failed to publish (shard and sequence numbers), not messages with a source queue; ` +
  `\`peek\` it for them, re-publish those records' events (their ids are stable, so consumers drop repeats) from the table's stream ` +
  `while it still holds them (24 h retention; the relay gave up after 23 h) or from the table's rows, then \`purge --yes\` it`;

/** @param {any} error */
const isUnsupportedAction = (error) => error?.name === 'InvalidAction' || /Unknown action|UnknownOperation|not implemented/i.test(String(error?.message));

/**
 * The queue a dead message goes back to: the one SQS says it came from, else
 * the DLQ's only source.
 * @param {DeadLetterQueue} dlq @param {Message} message
 */
const sourceFor = (dlq, message) => {
  const from = message.Attributes?.DeadLetterQueueSourceArn;
  const named = from && dlq.sources.find((s) => s.arn === from);
  if (named) return named;
  const [only, ...others] = dlq.sources;
  if (only && others.length === 0) return only;
  throw new DlqError(
    `${dlq.name} is the DLQ of ${dlq.sources.map((s) => s.name).join(' and ')}, and message ${message.MessageId} does not say which it came from`,
    'AMBIGUOUS_SOURCE',
  );
};

/**
 * The same message for the source queue: body and message attributes as they
 * were (and, for FIFO, its group and deduplication id).
 * @param {Message} message @param {{ url: string, name: string }} source
 */
const copyFor = (message, source) => {
  const attributes = message.Attributes ?? {};
  /** @type {import('@aws-sdk/client-sqs').SendMessageCommandInput} */
  const input = { QueueUrl: source.url, MessageBody: message.Body ?? '' };
  const messageAttributes = Object.entries(message.MessageAttributes ?? {});
  if (messageAttributes.length > 0) {
    input.MessageAttributes = Object.fromEntries(
      messageAttributes.map(([name, value]) => [
        name,
        {
          DataType: value.DataType,
          ...(value.StringValue !== undefined && { StringValue: value.StringValue }),
          ...(value.BinaryValue !== undefined && { BinaryValue: value.BinaryValue }),
        },
      ]),
    );
  }
  if (attributes.AWSTraceHeader) input.MessageSystemAttributes = { AWSTraceHeader: { DataType: 'String', StringValue: attributes.AWSTraceHeader } };
  if (source.name.endsWith('.fifo')) {
    input.MessageGroupId = attributes.MessageGroupId ?? 'redrive';
    input.MessageDeduplicationId = attributes.MessageDeduplicationId ?? message.MessageId;
  }
  return input;
};

/**
 * Moves messages one at a time: receive, SendMessage to the source, and only
 * once that send succeeded, DeleteMessage from the DLQ. Interrupted anywhere
 * (a crash, a kill, a failed call), nothing is lost: a message not yet sent is
 * still in the DLQ (visible again after `visibilitySeconds`, at once when this
 * function gets to hand it back), and one sent but not deleted is in both
 * queues, a duplicate that idempotent consumers drop. Messages that reach the
 * DLQ after the redrive started (SentTimestamp later than its start: a
 * redriven message that failed again) are left there, so a redrive always ends.
 * @param {Target} target @param {DeadLetterQueue} dlq
 * @param {{ max?: number, onProgress: (p: RedriveProgress) => void, visibilitySeconds: number, signal?: AbortSignal }} options
 * @returns {Promise<RedriveResult>}
 */
const redriveByCopy = async (target, dlq, { max, onProgress, visibilitySeconds, signal }) => {
  const startedAt = Date.now();
  const { depth } = await counts(target, dlq.url);
  const total = max === undefined ? depth : Math.min(max, depth);
  const destinations = new Set();
  onProgress({ type: 'start', moved: 0, total, text: `moving ${total} message(s) from ${dlq.name} to ${dlq.sources.map((s) => s.name).join(', ')}, one at a time (send, then delete)` });
  let moved = 0;
  /** @type {Message[]} messages received from the DLQ and not deleted from it: handed back at the end */
  let held = [];
  /** @type {Message[]} */
  const skipped = [];
  try {
    while ((max === undefined || moved < max) && !signal?.aborted) {
      const batch = await receive(target, dlq.url, max === undefined ? 10 : max - moved, visibilitySeconds, 1);
      if (batch.length === 0) break;
      held.push(...batch);
      for (const message of batch) {
        if (signal?.aborted || (max !== undefined && moved >= max)) break;
        if (Number(message.Attributes?.SentTimestamp ?? 0) > startedAt) {
          skipped.push(message);
          continue;
        }
        const source = sourceFor(dlq, message);
        await target.sqs.send(new SendMessageCommand(copyFor(message, source)));
        await target.sqs.send(new DeleteMessageCommand({ QueueUrl: dlq.url, ReceiptHandle: message.ReceiptHandle }));
        held = held.filter((m) => m !== message);
        moved += 1;
        destinations.add(source.name);
        onProgress({ type: 'moved', moved, total, text: `moved ${moved}/${Math.max(total, moved)}: ${message.MessageId} → ${source.name}` });
      }
      // What is still held (skipped ones) stays hidden until the end, so the next receive returns others.
    }
  } finally {
    await release(target, dlq.url, held);
  }
  return { strategy: 'copy', moved, destinations: [...destinations], skipped: skipped.length, interrupted: Boolean(signal?.aborted) };
};

/**
 * SQS's own DLQ redrive: StartMessageMoveTask, then ListMessageMoveTasks
 * until the task ends. It moves every message (no count limit) back to the
 * source queue, or to each message's own source when the DLQ has several.
 * Aborted, it stops watching; the task keeps running in SQS.
 * @param {Target} target @param {DeadLetterQueue} dlq
 * @param {{ onProgress: (p: RedriveProgress) => void, pollMs: number, signal?: AbortSignal }} options
 * @returns {Promise<RedriveResult>}
 */
const redriveWithMoveTask = async (target, dlq, { onProgress, pollMs, signal }) => {
  const destination = dlq.sources.length === 1 ? dlq.sources[0] : undefined;
  const { TaskHandle } = await target.sqs.send(
    new StartMessageMoveTaskCommand({ SourceArn: dlq.arn, ...(destination && { DestinationArn: destination.arn }) }),
  );
  const destinations = destination ? [destination.name] : dlq.sources.map((s) => s.name);
  onProgress({ type: 'start', moved: 0, total: undefined, text: `started SQS move task ${TaskHandle}: ${dlq.name} → ${destinations.join(', ')}` });
  let moved = 0;
  for (;;) {
    try {
      await sleep(pollMs, undefined, { signal });
    } catch {
      return { strategy: 'move-task', moved, destinations, skipped: 0, interrupted: true, taskHandle: TaskHandle, status: 'RUNNING' };
    }
    const { Results = [] } = await target.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlq.arn, MaxResults: 10 }));
    // Only a running task still carries its handle; the newest task comes first.
    const task = Results.find((r) => r.TaskHandle === TaskHandle) ?? Results[0];
    if (!task) continue;
    moved = task.ApproximateNumberOfMessagesMoved ?? moved;
    const total = task.ApproximateNumberOfMessagesToMove;
    onProgress({ type: 'task', moved, total, text: `${task.Status}: ${moved}${total === undefined ? '' : `/${total}`} moved` });
    if (task.Status === 'FAILED') throw new DlqError(`the move task of ${dlq.name} failed after ${moved} message(s): ${task.FailureReason ?? 'no reason given'}`, 'MOVE_TASK_FAILED');
    if (task.Status === 'COMPLETED' || task.Status === 'CANCELLED') {
      return { strategy: 'move-task', moved, destinations, skipped: 0, interrupted: task.Status === 'CANCELLED', taskHandle: TaskHandle, status: task.Status };
    }
  }
};

/**
 * Moves a dead-letter queue's messages back to the queue they died in.
 *
 * `strategy` 'auto' (the default): in AWS, SQS's move task
 * (StartMessageMoveTask), unless `max` limits the count, which a move task
 * cannot; locally, and wherever the endpoint does not know
 * StartMessageMoveTask (fauxqs does not), the copy loop of redriveByCopy.
 * A relay's failure queue (stream-batch coordinates) is refused.
 * @param {Target} target
 * @param {DeadLetterQueue} dlq
 * @param {{ max?: number, onProgress?: (p: RedriveProgress) => void, strategy?: 'auto' | 'copy' | 'move-task',
 *   visibilitySeconds?: number, pollMs?: number, signal?: AbortSignal }} [options]
 * @returns {Promise<RedriveResult>}
 */
export const redrive = async (target, dlq, { max, onProgress = () => {}, strategy = 'auto', visibilitySeconds = 60, pollMs = 2_000, signal } = {}) => {
  if (dlq.kind === 'stream-failures') throw new DlqError(streamFailuresRefusal(dlq), 'NOT_REDRIVABLE');
  if (dlq.sources.length === 0) {
    throw new DlqError(`refusing to redrive ${dlq.name}: no queue's RedrivePolicy names it, so there is no source queue to send its messages back to`, 'NO_SOURCE');
  }
  if (max !== undefined && (!Number.isInteger(max) || max < 1)) throw new DlqError(`--max must be a whole number from 1, got ${max}`, 'BAD_ARGUMENT');
  const moveTask = strategy === 'move-task' || (strategy === 'auto' && target.kind === 'aws' && max === undefined);
  if (moveTask) {
    try {
      return await redriveWithMoveTask(target, dlq, { onProgress, pollMs, signal });
    } catch (error) {
      if (strategy === 'move-task' || !isUnsupportedAction(error)) throw error;
      onProgress({ type: 'fallback', moved: 0, total: undefined, text: `${target.where} has no StartMessageMoveTask; moving messages one by one instead` });
    }
  }
  return redriveByCopy(target, dlq, { max, onProgress, visibilitySeconds, signal });
};

// ---------------------------------------------------------------- purge

/**
 * Deletes every message of a dead-letter queue, for good. Needs `yes`, and on
 * a stage named like production `force` too (see assertPurgeAllowed).
 * @param {Target} target
 * @param {DeadLetterQueue} dlq
 * @param {{ yes?: boolean, force?: boolean }} options
 * @returns {Promise<{ purged: number }>}  how many messages it held (approximately)
 */
export const purge = async (target, dlq, options) => {
  assertPurgeAllowed(target.stage, options);
  const { depth, inFlight, delayed } = await counts(target, dlq.url);
  await target.sqs.send(new PurgeQueueCommand({ QueueUrl: dlq.url }));
  return { purged: depth + inFlight + delayed };
};
