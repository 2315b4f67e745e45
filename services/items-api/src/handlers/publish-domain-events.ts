import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { unmarshall, type NativeAttributeValue } from '@aws-sdk/util-dynamodb';
import { eventPublisherFromEnv } from '@platform/events';
import { getLogger, loggerForInvocation } from '@platform/handler-kit';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { eventForChange } from '../domain';

const image = (raw: unknown): Record<string, NativeAttributeValue> | undefined =>
  raw ? unmarshall(raw as Record<string, AttributeValue>) : undefined;

const publishChange = async (record: DynamoDBRecord) => {
  const event = eventForChange({
    kind: record.eventName as 'INSERT' | 'MODIFY' | 'REMOVE',
    oldImage: image(record.dynamodb?.OldImage),
    newImage: image(record.dynamodb?.NewImage),
  });
  if (!event) return;
  await eventPublisherFromEnv().publish(event);
  getLogger().info('event published', { eventId: event.id, eventType: event.type });
};

/**
 * Drains the items table's stream to the domain-events topic, in stream
 * order. Failed records are reported (ReportBatchItemFailures), and Lambda
 * resumes the shard from the lowest failed sequence number, so nothing is
 * skipped; records after it may be published again, with the same event ids.
 */
export const handler = async (event: DynamoDBStreamEvent, context: Context) => {
  loggerForInvocation(context);
  return processPartialResponse(event, publishChange, new BatchProcessor(EventType.DynamoDBStreams), {
    context,
    processInParallel: false,
    throwOnFullBatchFailure: false,
  });
};
