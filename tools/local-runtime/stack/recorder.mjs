// The local runtime's flight recorder: what the gateway, the invoker, the
// event-source pollers, the schedules, the S3 front and the IAM proxies saw,
// hop by hop, for the local console (tools/console).
// Only the local runtime records, never a service's code or bundle, and
// nothing of it exists in AWS.
//
// Recording must cost the stack next to nothing (`npm run bench` runs with it):
// record() stores the object it is given, by reference, in a ring buffer of
// the last `capacity` hops and tells listeners, if any. The callers hand over
// what they already hold (the invocation's event and result, the SQS message,
// the stream record, the published message as sent); everything derived from
// it (event ids, correlation ids, keys, flows) is worked out by the console,
// and only when someone looks.
//
// Hop kinds and what their callers put in (besides `kind`):
//   http    gateway         at (request received, epoch ms), requestId, method, path, status (number, or 'client closed'),
//                           durationMs, service?, functionName?, why? (refused or failed: why), failure? (how the
//                           invocation failed: timeout, function-error, …), writes? (what the function wrote, in words)
//   invoke  invoker         at (invocation started), functionName, durationMs, event, result (the InvokeResult),
//                           trigger? (what started it when its event does not say: { kind: 'schedule', id })
//   schedule schedule source at (run started), functionName, name (the rule or schedule), expression, runId, attempt, event
//   sqs     SQS poller      at (batch received), functionName, queueArn, message (as ReceiveMessage gave it),
//                           retry (left on the queue for another receive), reason?
//   stream  stream poller   at (records read), functionName, streamArn, record (as GetRecords gave it), retry
//   replay  the console     at, event (the envelope it published to the bus), messageId, edited
//   s3      S3 front        at (request received), operation ('PostObject', 'PutObject', 'CopyObject', 'GetObject',
//                           'HeadObject', 'DeleteObject', 'ListObjectsV2', 'PreflightRequest', …), bucket, key, status,
//                           durationMs, caller (function name, `presigned by <function>`, 'local (admin key)' or
//                           'anonymous'), correlationId? (x-amz-meta-correlation-id of the form or headers),
//                           bytes? (the object's size, uploads and GETs), why? (the refusal: `<Code>: <Message>`)
//   s3-notification S3 front at (sent), bucket, key, eventName ('ObjectCreated:Post', …), queueArn, messageId,
//                           correlationId? (the object's x-amz-meta-correlation-id)
//   publish IAM proxy       at (request received), functionName, topicArn, messages: [{ body (the Message string as
//                           sent), attributes (name → string value), subject?, messageId? }]: an SNS Publish or
//                           PublishBatch a function made that the emulator took (2xx), from the form the IAM layer
//                           read to authorize it (iam/publish-hop.mjs). Under LOCAL_IAM=off the functions reach the
//                           emulator directly, past no proxy, so no publish is recorded: events then show only where
//                           a queue delivers them.
// record() adds `seq`, a number that grows by one per hop.
import { EventEmitter } from 'node:events';

/** How many hops are kept: the oldest is dropped when a new one comes. */
export const DEFAULT_CAPACITY = 10_000;

/**
 * @typedef {{ kind: 'http' | 'invoke' | 'sqs' | 'stream' | 'replay' | 'schedule' | 's3' | 's3-notification' | 'publish', at: number, seq?: number, [field: string]: unknown }} Hop
 * @typedef {ReturnType<typeof createRecorder>} Recorder
 */

/** @param {{ capacity?: number }} [options] */
export const createRecorder = ({ capacity = DEFAULT_CAPACITY } = {}) => {
  if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`capacity must be a whole number from 1, got ${capacity}`);
  /** @type {Array<Hop | undefined>} */
  const ring = new Array(capacity);
  let total = 0;
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);

  return {
    capacity,
    /** Hops recorded since start, the dropped ones included. */
    get total() {
      return total;
    },
    /** @param {Hop} hop */
    record(hop) {
      total += 1;
      hop.seq = total;
      ring[(total - 1) % capacity] = hop;
      if (emitter.listenerCount('hop') > 0) emitter.emit('hop', hop);
    },
    /**
     * The hops still held, oldest first; with `after`, only those whose seq is greater.
     * @param {{ after?: number }} [options]
     * @returns {Hop[]}
     */
    hops({ after = 0 } = {}) {
      const first = Math.max(after + 1, total - capacity + 1, 1);
      const list = [];
      for (let seq = first; seq <= total; seq += 1) list.push(/** @type {Hop} */ (ring[(seq - 1) % capacity]));
      return list;
    },
    /**
     * Calls `listener` with every hop recorded from now on; returns what stops it.
     * @param {(hop: Hop) => void} listener
     */
    subscribe(listener) {
      emitter.on('hop', listener);
      return () => {
        emitter.off('hop', listener);
      };
    },
  };
};
