import { unmarshall, type NativeAttributeValue } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { correlationIdOf, type TableChange } from '@platform/dynamo';
import { eventPublisherFromEnv, type DomainEvent, type EventPublisher } from '@platform/events';
import { countMetric } from '@platform/observability';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { instrumented } from './instrument';
import { loggerForInvocation } from './logger';

export type StreamHandler = (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse>;

const image = (raw: unknown): Record<string, NativeAttributeValue> | undefined =>
  raw ? unmarshall(raw as Record<string, AttributeValue>) : undefined;

const tableChangeOf = (record: DynamoDBRecord): TableChange => {
  const kind = record.eventName as TableChange['kind'];
  const newImage = image(record.dynamodb?.NewImage);
  const correlationId = kind === 'REMOVE' ? undefined : correlationIdOf(newImage);
  return { kind, oldImage: image(record.dynamodb?.OldImage), newImage, ...(correlationId && { correlationId }) };
};

const correlationOf = ({ correlationId }: DomainEvent) => (correlationId ? { correlationId } : {});

/** Rows whose changes may be published at once; one row's changes always go out one after another. */
const DEFAULT_PARALLEL_ROWS = 10;

const rowOf = (record: DynamoDBRecord): string => JSON.stringify(record.dynamodb?.Keys ?? null);

/** The batch's record indexes grouped by row, each group in stream order. */
const indexesByRow = (records: DynamoDBRecord[]): number[][] => {
  const rows = new Map<string, number[]>();
  records.forEach((record, index) => {
    const row = rowOf(record);
    const indexes = rows.get(row);
    if (indexes) indexes.push(index);
    else rows.set(row, [index]);
  });
  return [...rows.values()];
};

/**
 * The transactional outbox relay: drains a table's stream to the event bus.
 * The changes of one row are published one after another, in stream order;
 * different rows go out in parallel (up to `parallelRows` at once), as
 * Lambda's ParallelizationFactor keeps order per key, because a relay that
 * publishes a whole batch one record at a time cannot keep up with its table.
 * At the first failed publish no new publish starts; the relay reports the
 * earliest record not yet published and every record after it
 * (ReportBatchItemFailures), so Lambda resumes the shard there: nothing is
 * skipped, and no change of a row is published ahead of an earlier change of
 * the same row. A record published twice (it followed the failure in the
 * batch, on another row) repeats its stable event id, which consumers dedupe.
 *
 * Each published event is logged with its correlation id (which `eventFor`
 * takes from the change) and counted in `EventsPublished`; the records
 * reported for retry count in `RecordsFailed`.
 */
export const streamOutboxHandler =
  (
    eventFor: (change: TableChange) => DomainEvent | undefined,
    publisher: () => EventPublisher = eventPublisherFromEnv,
    { parallelRows = DEFAULT_PARALLEL_ROWS }: { parallelRows?: number } = {},
  ): StreamHandler =>
  instrumented(async (event: DynamoDBStreamEvent, context: Context) => {
    const logger = loggerForInvocation(context);
    const records = event.Records;
    const published = records.map(() => false);
    // The earliest failed publish, shared by the workers: a holder, since each reads what the others set.
    const failed: { first?: { index: number; eventId?: string; correlationId?: string; error: unknown } } = {};
    const stopping = () => failed.first !== undefined;

    const publishRow = async (indexes: number[]) => {
      for (const index of indexes) {
        if (stopping()) return;
        let domainEvent: DomainEvent | undefined;
        try {
          domainEvent = eventFor(tableChangeOf(records[index] as DynamoDBRecord));
          if (domainEvent) await publisher().publish(domainEvent);
        } catch (error) {
          if (!failed.first || index < failed.first.index) {
            failed.first = { index, eventId: domainEvent?.id, correlationId: domainEvent?.correlationId, error };
          }
          return;
        }
        published[index] = true;
        if (domainEvent) {
          countMetric('EventsPublished');
          logger.info('event published', { eventId: domainEvent.id, eventType: domainEvent.type, ...correlationOf(domainEvent) });
        }
      }
    };

    const rows = indexesByRow(records);
    const worker = async () => {
      for (let row = rows.shift(); row && !stopping(); row = rows.shift()) await publishRow(row);
    };
    await Promise.all(Array.from({ length: Math.min(parallelRows, rows.length) }, worker));
    const failure = failed.first;
    if (!failure) return { batchItemFailures: [] };

    const rest = records.slice(published.indexOf(false));
    countMetric('RecordsFailed', {}, rest.length);
    logger.error('publish failed; the shard resumes from the earliest record not published', {
      sequenceNumber: records[failure.index]?.dynamodb?.SequenceNumber,
      eventId: failure.eventId,
      ...(failure.correlationId && { correlationId: failure.correlationId }),
      resumeFrom: rest[0]?.dynamodb?.SequenceNumber,
      left: rest.length,
      error: failure.error as Error,
    });
    return { batchItemFailures: rest.map((failed) => ({ itemIdentifier: failed.dynamodb?.SequenceNumber ?? '' })) };
  });
