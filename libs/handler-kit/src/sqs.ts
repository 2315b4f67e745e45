import { BatchProcessor, EventType as RecordSource, processPartialResponse } from '@aws-lambda-powertools/batch';
import { parseEvent, type EventOf, type EventType } from '@platform/events';
import type { Logger } from '@aws-lambda-powertools/logger';
import { countMetric, withCorrelationId } from '@platform/observability';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type * as z from 'zod';
import { instrumented } from './instrument';
import { loggerForInvocation } from './logger';

export interface EventContext {
  messageId: string;
  /** How many times SQS has handed this message out, this time included. */
  receiveCount: number;
  logger: Logger;
}

export interface SqsEventHandlerOptions {
  /** Handle a batch's records one after another (e.g. when they contend for the same rows). Default: in parallel. */
  sequential?: boolean;
  /**
   * A record is started only while the invocation has at least this much
   * time left (`context.getRemainingTimeInMillis()`); the records not started
   * by then are reported as batch item failures, so SQS hands them out again,
   * instead of the invocation timing out and failing the whole batch.
   * Default: MIN_REMAINING_TIME_MS.
   */
  minRemainingTimeMs?: number;
}

/**
 * Time one record may need, SDK retries and notifier's "mark SENT" retries
 * included: a record is not started with less left (a third of a 6 s timeout).
 */
export const MIN_REMAINING_TIME_MS = 2_000;

/** A record left for a later receive because the invocation was running out of time. */
class OutOfTimeError extends Error {
  constructor() {
    super('not started: the invocation is running out of time');
    this.name = 'OutOfTimeError';
  }
}

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** What a record's body was read as: the value to handle, its flow, and the keys its log lines carry. */
interface ReadRecord<V> {
  value: V;
  correlationId?: string;
  logKeys?: Record<string, string>;
}

/**
 * The batch loop both consumers share: each record read and handled in its
 * flow, failures reported per record (partial batch responses), records not
 * started once the invocation runs short of time.
 */
const batchHandler = <V>(
  read: (body: string) => ReadRecord<V>,
  handle: (value: V, context: EventContext) => Promise<void>,
  { sequential = false, minRemainingTimeMs = MIN_REMAINING_TIME_MS }: SqsEventHandlerOptions,
): SqsHandler =>
  instrumented(async (event: SQSEvent, context: Context) => {
    const logger = loggerForInvocation(context);
    const processor = new BatchProcessor(RecordSource.SQS);
    const flows = new Set<string>();
    const deferred: string[] = [];
    // A context without the method (a test's) never runs out of time.
    const outOfTime = () => (context.getRemainingTimeInMillis?.() ?? Infinity) < minRemainingTimeMs;

    const processRecord = async (record: SQSRecord) => {
      if (outOfTime()) {
        deferred.push(record.messageId);
        throw new OutOfTimeError();
      }
      const attributeId = record.messageAttributes?.correlationId?.stringValue;
      const recordLogger = logger.createChild({
        persistentKeys: { messageId: record.messageId, ...(attributeId && { correlationId: attributeId }) },
      });
      try {
        const parsed = read(record.body);
        const correlationId = parsed.correlationId ?? attributeId;
        if (correlationId) flows.add(correlationId);
        recordLogger.appendKeys({ ...parsed.logKeys, ...(correlationId && { correlationId }) });
        await withCorrelationId(correlationId, () =>
          handle(parsed.value, {
            messageId: record.messageId,
            receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? 1),
            logger: recordLogger,
          }),
        );
      } catch (error) {
        recordLogger.warn('record failed; it will be retried and, after maxReceiveCount, moved to the DLQ', error as Error);
        throw error;
      }
    };

    const response = await processPartialResponse(event, processRecord, processor, {
      context,
      // A batch whose every record failed is reported record by record too: same retry, quieter logs.
      throwOnFullBatchFailure: false,
      processInParallel: !sequential,
    });
    const failed = response.batchItemFailures.length - deferred.length;
    if (failed > 0) countMetric('RecordsFailed', {}, failed);
    if (deferred.length > 0) {
      countMetric('RecordsDeferred', {}, deferred.length);
      logger.warn('running out of time: records not started, left for a later receive', {
        deferred: deferred.length,
        remainingTimeMs: context.getRemainingTimeInMillis?.(),
        minRemainingTimeMs,
      });
    }
    logger.info('batch processed', { records: event.Records.length, failed, deferred: deferred.length, correlationIds: [...flows] });
    return response;
  });

/**
 * The one way to consume events from an SQS queue fed by SNS (raw delivery).
 * Each record is parsed and validated against the accepted event types and
 * handed to `handle`. A record that fails to parse or whose handling throws
 * is reported in `batchItemFailures` (the event source mapping has
 * ReportBatchItemFailures on), so only it is retried and, after the queue's
 * maxReceiveCount, moved to the DLQ; its batch-mates are not affected. Each
 * failed record counts in the `RecordsFailed` metric.
 *
 * Each record is handled in the flow its event belongs to: the envelope's
 * correlation id is on every log line about the record, and on the rows
 * `handle` writes. A body that does not parse is logged with the id of the
 * SNS message attribute `correlationId`, when it has one.
 *
 * A record is started only while the invocation has `minRemainingTimeMs`
 * left; the rest are reported as failures without being touched (one log
 * line, `RecordsDeferred` metric), so records that succeeded stay done and
 * none is cut off halfway by the timeout. In parallel mode every record
 * starts at once, so this check is made once, at the start of the batch.
 */
export const sqsEventHandler = <T extends EventType>(
  accepted: readonly T[],
  handle: (event: EventOf<T>, context: EventContext) => Promise<void>,
  options: SqsEventHandlerOptions = {},
): SqsHandler =>
  batchHandler(
    (body) => {
      const parsed = parseEvent(body, accepted);
      return { value: parsed, correlationId: parsed.correlationId, logKeys: { eventId: parsed.id, eventType: parsed.type } };
    },
    handle,
    options,
  );

/**
 * Consumes messages that are not the platform's events (an AWS service's
 * notification, such as S3's), each body JSON validated by `schema`, with the
 * same partial batch failures, metrics and time guard as sqsEventHandler. A
 * body that is not JSON or fails the schema fails its record. Such a message
 * carries no flow: `handle` may join one (withCorrelationId) once it knows it.
 */
export const sqsMessageHandler = <S extends z.ZodType>(
  schema: S,
  handle: (message: z.output<S>, context: EventContext) => Promise<void>,
  options: SqsEventHandlerOptions = {},
): SqsHandler =>
  batchHandler(
    (body) => {
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch (error) {
        throw new Error('message body is not JSON', { cause: error });
      }
      return { value: schema.parse(json) };
    },
    handle,
    options,
  );
