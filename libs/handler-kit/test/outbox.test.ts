import type { TableChange } from '@platform/dynamo';
import { buildEvent, type DomainEvent } from '@platform/events';
import { captureOutput } from '@platform/testing';
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

/** Stream records of [row id, version] changes, with sequence numbers 100, 200, … */
const rowChanges = (...changes: Array<[string, number]>): DynamoDBStreamEvent => ({
  Records: changes.map(([id, version], i) => ({
    eventName: 'MODIFY',
    dynamodb: {
      SequenceNumber: String((i + 1) * 100),
      Keys: { pk: { S: `ITEM#${id}` } },
      NewImage: { id: { S: id }, version: { N: String(version) } },
    },
  })),
});

const versionedEventFor = ({ newImage }: { newImage?: Record<string, unknown> }) =>
  buildEvent('item.deleted', 'items-api', { id: String(newImage?.id) }, { id: `item.updated:${String(newImage?.id)}:${String(newImage?.version)}` });

const eventFor = ({ newImage }: { newImage?: Record<string, unknown> }) =>
  buildEvent('item.deleted', 'items-api', { id: String(newImage?.id) }, { id: `item.deleted:${String(newImage?.id)}` });

describe('streamOutboxHandler', () => {
  it('publishes every change in stream order', async () => {
    const published: DomainEvent[] = [];
    const relay = streamOutboxHandler(eventFor, () => ({ publish: async (event) => void published.push(event) }));
    expect(await relay(batch(3), context)).toEqual({ batchItemFailures: [] });
    expect(published.map((event) => event.id)).toEqual(['item.deleted:i1', 'item.deleted:i2', 'item.deleted:i3']);
  });

  it('publishes the changes of one row in stream order, and stops that row at its first failure', async () => {
    const published: string[] = [];
    const attempts: string[] = [];
    const relay = streamOutboxHandler(versionedEventFor, () => ({
      publish: async (event) => {
        attempts.push(event.id);
        if (event.id === 'item.updated:a:2') throw new Error('SNS throttled');
        published.push(event.id);
      },
    }));
    const response = await relay(rowChanges(['a', 1], ['a', 2], ['a', 3]), context);
    expect(attempts).toEqual(['item.updated:a:1', 'item.updated:a:2']);
    expect(published).toEqual(['item.updated:a:1']);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: '200' }, { itemIdentifier: '300' }]);
  });

  it('publishes different rows in parallel, and resumes the batch from the earliest record not published', async () => {
    let inFlight = 0;
    let mostInFlight = 0;
    const published: string[] = [];
    const relay = streamOutboxHandler(versionedEventFor, () => ({
      publish: async (event) => {
        inFlight += 1;
        mostInFlight = Math.max(mostInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight -= 1;
        if (event.id === 'item.updated:b:1') throw new Error('SNS throttled');
        published.push(event.id);
      },
    }), { parallelRows: 3 });
    const response = await relay(rowChanges(['a', 1], ['b', 1], ['c', 1], ['b', 2], ['d', 1]), context);
    expect(mostInFlight).toBe(3);
    // b:2 never overtakes b:1; a and c went out beside b.
    expect(published).not.toContain('item.updated:b:2');
    expect(published).toEqual(expect.arrayContaining(['item.updated:a:1', 'item.updated:c:1']));
    // Lambda resumes at b:1 (sequence 200); c:1 is published again then, with the same event id.
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(['200', '300', '400', '500']);
  });

  it('skips rows that are no event', async () => {
    const published: string[] = [];
    const relay = streamOutboxHandler(() => undefined, () => ({ publish: async (event) => void published.push(event.id) }));
    expect(await relay(batch(2), context)).toEqual({ batchItemFailures: [] });
    expect(published).toEqual([]);
  });

  describe('correlation and metrics', () => {
    const output = { current: undefined as ReturnType<typeof captureOutput> | undefined };
    beforeEach(() => {
      output.current = captureOutput();
    });
    afterEach(() => output.current?.restore());
    const logs = () => output.current?.logs() ?? [];
    const metrics = () => (output.current?.metrics() ?? []).map(({ name, value }) => [name, value]);

    /** A stream record of an item row written in the flow `flow` (stamped as the stores stamp it). */
    const stamped = (eventName: 'INSERT' | 'MODIFY' | 'REMOVE', id: string, flow: string, sequence: number) => ({
      eventName,
      dynamodb: {
        SequenceNumber: String(sequence),
        Keys: { pk: { S: `ITEM#${id}` } },
        ...(eventName === 'REMOVE' ? { OldImage: { id: { S: id }, correlationId: { S: flow } } } : { NewImage: { id: { S: id }, correlationId: { S: flow } } }),
      },
    });

    it('hands each change the correlation id its write stamped on the row, but none for a delete', async () => {
      const changes: TableChange[] = [];
      const relay = streamOutboxHandler((change) => void changes.push(change), () => ({ publish: async () => undefined }));
      await relay({ Records: [stamped('INSERT', 'a', 'req-1', 100), stamped('MODIFY', 'b', 'req-2', 200), stamped('REMOVE', 'c', 'req-0', 300)] }, context);
      expect(changes.map((change) => [change.kind, change.correlationId])).toEqual([
        ['INSERT', 'req-1'],
        ['MODIFY', 'req-2'],
        ['REMOVE', undefined],
      ]);
    });

    it('logs each published event with its correlation id, and counts them', async () => {
      const flowEventFor = ({ newImage, correlationId }: TableChange) =>
        buildEvent('item.deleted', 'items-api', { id: String(newImage?.id) }, { id: `item.deleted:${String(newImage?.id)}`, correlationId });
      const relay = streamOutboxHandler(flowEventFor, () => ({ publish: async () => undefined }));
      await relay({ Records: [stamped('INSERT', 'a', 'req-1', 100), stamped('INSERT', 'b', 'req-2', 200)] }, context);
      const published = logs().filter((entry) => entry.message === 'event published');
      expect(published.map((entry) => [entry.eventId, entry.correlationId])).toEqual([
        ['item.deleted:a', 'req-1'],
        ['item.deleted:b', 'req-2'],
      ]);
      expect(metrics()).toEqual([['EventsPublished', 2]]);
    });

    it('counts the records it reports for retry', async () => {
      const relay = streamOutboxHandler(versionedEventFor, () => ({
        publish: async (event) => {
          if (event.id === 'item.updated:a:2') throw new Error('SNS throttled');
        },
      }));
      await relay(rowChanges(['a', 1], ['a', 2], ['a', 3]), context);
      expect(metrics()).toEqual([
        ['EventsPublished', 1],
        ['RecordsFailed', 2],
      ]);
    });
  });
});
