import { unmarshall, type NativeAttributeValue } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { TableChange } from '@platform/dynamo';
import { eventPublisherFromEnv, type DomainEvent, type EventPublisher } from '@platform/events';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { loggerForInvocation } from './logger';

export type StreamHandler = (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse>;

const image = (raw: unknown): Record<string, NativeAttributeValue> | undefined =>
  raw ? unmarshall(raw as Record<string, AttributeValue>) : undefined;

const tableChangeOf = (record: DynamoDBRecord): TableChange => ({
  kind: record.eventName as TableChange['kind'],
  oldImage: image(record.dynamodb?.OldImage),
  newImage: image(record.dynamodb?.NewImage),
});

/**
 * The transactional outbox relay: drains a table's stream to the event bus,
 * one record after another, in stream order. At the first record that fails
 * it stops and reports that record and every one after it
 * (ReportBatchItemFailures), so Lambda resumes the shard there: nothing is
 * skipped and nothing is published ahead of an earlier change. A record
 * published twice (a retried batch) repeats its stable event id.
 */
export const streamOutboxHandler =
  (eventFor: (change: TableChange) => DomainEvent | undefined, publisher: () => EventPublisher = eventPublisherFromEnv): StreamHandler =>
  async (event, context) => {
    const logger = loggerForInvocation(context);
    for (const [index, record] of event.Records.entries()) {
      let published: DomainEvent | undefined;
      try {
        published = eventFor(tableChangeOf(record));
        if (published) await publisher().publish(published);
      } catch (error) {
        const rest = event.Records.slice(index);
        logger.error('publish failed; the shard resumes from this record', {
          sequenceNumber: record.dynamodb?.SequenceNumber,
          eventId: published?.id,
          left: rest.length,
          error: error as Error,
        });
        return { batchItemFailures: rest.map((failed) => ({ itemIdentifier: failed.dynamodb?.SequenceNumber ?? '' })) };
      }
      if (published) logger.info('event published', { eventId: published.id, eventType: published.type });
    }
    return { batchItemFailures: [] };
  };
