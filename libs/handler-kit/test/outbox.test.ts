import { buildEvent, type DomainEvent } from '@platform/events';
import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { streamOutboxHandler } from '../src';

const context = { awsRequestId: 'r', functionName: 'relay' } as Context;

/** A stream batch of item rows 1..n, each INSERT, with sequence numbers 100, 200, … */
const batch = (n: number): DynamoDBStreamEvent => ({
  Records: Array.from({ length: n }, (_, i) => ({
    eventName: 'INSERT',
    dynamodb: { SequenceNumber: String((i + 1) * 100), NewImage: { id: { S: `i${i + 1}` } } },
  })),
});

const eventFor = ({ newImage }: { newImage?: Record<string, unknown> }) =>
  buildEvent('item.deleted', 'test', { id: String(newImage?.id) }, { id: `item.deleted:${String(newImage?.id)}` });

describe('streamOutboxHandler', () => {
  it('publishes every change in stream order', async () => {
    const published: DomainEvent[] = [];
    const relay = streamOutboxHandler(eventFor, () => ({ publish: async (event) => void published.push(event) }));
    expect(await relay(batch(3), context)).toEqual({ batchItemFailures: [] });
    expect(published.map((event) => event.id)).toEqual(['item.deleted:i1', 'item.deleted:i2', 'item.deleted:i3']);
  });

  it('stops at the first failed publish and reports it and everything after it, so nothing overtakes it', async () => {
    const published: string[] = [];
    const relay = streamOutboxHandler(eventFor, () => ({
      publish: async (event) => {
        if (event.id === 'item.deleted:i2') throw new Error('SNS throttled');
        published.push(event.id);
      },
    }));
    const response = await relay(batch(4), context);
    expect(published).toEqual(['item.deleted:i1']);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: '200' }, { itemIdentifier: '300' }, { itemIdentifier: '400' }]);
  });

  it('skips rows that are no event', async () => {
    const published: string[] = [];
    const relay = streamOutboxHandler(() => undefined, () => ({ publish: async (event) => void published.push(event.id) }));
    expect(await relay(batch(2), context)).toEqual({ batchItemFailures: [] });
    expect(published).toEqual([]);
  });
});
