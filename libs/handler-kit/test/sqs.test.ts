import { buildEvent } from '@platform/events';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { awsClient, awsClientConfig, currentCorrelationId } from '@platform/observability';
import { captureOutput, sqsEvent, startHungEndpoint, type CapturedOutput } from '@platform/testing';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { MIN_REMAINING_TIME_MS, sqsEventHandler, sqsMessageHandler } from '../src';

const context = { awsRequestId: 'r', functionName: 'consumer' } as Context;
const line = { orderId: 'o1', itemId: 'i1', quantity: 1, customerEmail: 'ada@example.com' };
const placed = (orderId: string, correlationId?: string) =>
  buildEvent('order.placed', 'order-processor', { ...line, orderId }, { id: `order.placed:${orderId}`, correlationId });

let output: CapturedOutput;
beforeEach(() => {
  output = captureOutput();
});
afterEach(() => output.restore());

describe('sqsEventHandler', () => {
  it('handles each record in its own flow, in parallel, each log line carrying its correlation id', async () => {
    const flows: Record<string, string | undefined> = {};
    // o1 finishes only once o2 and o3 have: handled one after the other, it would wait for ever (and the test time out).
    let othersHandled = 0;
    let releaseFirst = () => {};
    const othersDone = new Promise<void>((resolve) => (releaseFirst = resolve));
    const handler = sqsEventHandler(['order.placed'], async (event, { logger }) => {
      if (event.data.orderId === 'o1') await othersDone;
      else await new Promise((resolve) => setImmediate(resolve));
      flows[event.data.orderId] = currentCorrelationId();
      logger.info('handled');
      if (event.data.orderId !== 'o1' && ++othersHandled === 2) releaseFirst();
    });
    const response = await handler(sqsEvent(placed('o1', 'req-A'), placed('o2', 'req-B'), placed('o3')), context);
    expect(response.batchItemFailures).toEqual([]);
    expect(flows).toEqual({ o1: 'req-A', o2: 'req-B', o3: undefined });
    const handled = output.logs().filter((entry) => entry.message === 'handled');
    // o1 finished last: the flows really overlapped.
    expect(handled.at(-1)?.eventId).toBe('order.placed:o1');
    expect(Object.fromEntries(handled.map((entry) => [entry.eventId, entry.correlationId]))).toEqual({
      'order.placed:o1': 'req-A',
      'order.placed:o2': 'req-B',
      'order.placed:o3': undefined,
    });
    expect(output.logs().find((entry) => entry.message === 'batch processed')).toMatchObject({ records: 3, failed: 0, correlationIds: ['req-A', 'req-B'] });
  });

  it('logs a body that does not parse with the correlation id of its message attribute, and counts each failed record', async () => {
    const batch = sqsEvent('{"type":"order.placed"}', placed('o2', 'req-B'), 'not json');
    const first = batch.Records[0];
    if (first) first.messageAttributes = { correlationId: { dataType: 'String', stringValue: 'req-A', stringListValues: [], binaryListValues: [] } };
    const handler = sqsEventHandler(['order.placed'], async () => undefined);
    const response = await handler(batch, context);
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual([first?.messageId, batch.Records[2]?.messageId]);
    const failed = output.logs().filter((entry) => entry.level === 'WARN');
    expect(failed.map((entry) => entry.correlationId)).toEqual(['req-A', undefined]);
    expect(output.metrics().map(({ name, value, dimensions }) => [name, value, dimensions])).toEqual([['RecordsFailed', 2, { service: 'service_undefined' }]]);
  });

  describe('running out of time', () => {
    /** A context whose remaining time falls by `stepMs` each time a record finishes. */
    const clock = (startMs: number) => {
      let remaining = startMs;
      const timed = { ...context, getRemainingTimeInMillis: () => remaining } as Context;
      return { context: timed, spend: (ms: number) => void (remaining -= ms) };
    };

    it('stops taking records when the remaining time runs low and reports the untouched ones as failures', async () => {
      const { context: timed, spend } = clock(MIN_REMAINING_TIME_MS + 2_500);
      const started: string[] = [];
      const finished: string[] = [];
      const handler = sqsEventHandler(
        ['order.placed'],
        async (event) => {
          started.push(event.data.orderId);
          await new Promise((resolve) => setTimeout(resolve, 1));
          spend(1_000); // each record takes a second
          finished.push(event.data.orderId);
        },
        { sequential: true },
      );
      const batch = sqsEvent(placed('o1'), placed('o2'), placed('o3'), placed('o4'), placed('o5'));
      const response = await handler(batch, timed);
      // o1, o2, o3 started with 4.5, 3.5 and 2.5 s left; o4 would start with 1.5 s, under the 2 s reserve.
      expect(started).toEqual(['o1', 'o2', 'o3']);
      expect(finished).toEqual(started); // nothing cut off halfway
      expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(
        batch.Records.slice(3).map((record) => record.messageId),
      );
      expect(output.logs().find((entry) => entry.message.startsWith('running out of time'))).toMatchObject({ level: 'WARN', deferred: 2 });
      expect(output.metrics().map(({ name, value }) => [name, value])).toEqual([['RecordsDeferred', 2]]);
    });

    it('in parallel, starts nothing when the batch begins with too little time', async () => {
      const { context: timed } = clock(MIN_REMAINING_TIME_MS - 1);
      const started: string[] = [];
      const handler = sqsEventHandler(['order.placed'], async (event) => void started.push(event.data.orderId));
      const batch = sqsEvent(placed('o1'), placed('o2'));
      const response = await handler(batch, timed);
      expect(started).toEqual([]);
      expect(response.batchItemFailures).toHaveLength(2);
    });

    it('takes every record while there is time', async () => {
      const { context: timed } = clock(60_000);
      const handler = sqsEventHandler(['order.placed'], async () => undefined, { sequential: true });
      await expect(handler(sqsEvent(placed('o1'), placed('o2')), timed)).resolves.toEqual({ batchItemFailures: [] });
    });
  });

  it('reports a record whose handling throws as a batch item failure; its batch-mates are done', async () => {
    const handled: string[] = [];
    const handler = sqsEventHandler(
      ['order.placed'],
      async (event) => {
        if (event.data.orderId === 'o2' || event.data.orderId === 'o4') throw new Error(`cannot handle ${event.data.orderId}`);
        handled.push(event.data.orderId);
      },
      { sequential: true },
    );
    const event = sqsEvent(placed('o1'), placed('o2'), placed('o3'), placed('o4'));
    const response = await handler(event, context);
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual([event.Records[1]?.messageId, event.Records[3]?.messageId]);
    expect(handled).toEqual(['o1', 'o3']);
    expect(output.logs().filter((entry) => entry.level === 'WARN').map((entry) => entry.eventId)).toEqual(['order.placed:o2', 'order.placed:o4']);
    expect(output.metrics().map(({ name, value }) => [name, value])).toEqual([['RecordsFailed', 2]]);
  });

  it('fails the records whose store hangs in time, as batch item failures, instead of timing out with the whole batch', async () => {
    const store = await startHungEndpoint();
    const client = awsClient(new SNSClient({ ...awsClientConfig(), endpoint: store.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'k', secretAccessKey: 's' } }));
    const handler = sqsEventHandler(['order.placed'], async (event) => {
      if (event.data.orderId === 'o2') await client.send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:t', Message: 'm' }));
    });
    // Time for a record to start (MIN_REMAINING_TIME_MS), not for the hung call's 3 s attempt timeout.
    const deadline = Date.now() + MIN_REMAINING_TIME_MS + 200;
    const batch = sqsEvent(placed('o1'), placed('o2'));
    const response = await handler(batch, { ...context, getRemainingTimeInMillis: () => deadline - Date.now() });
    client.destroy();
    await store.close();
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: batch.Records[1]?.messageId }]);
    expect(output.logs().find((entry) => entry.level === 'WARN')?.error).toMatchObject({ name: 'DeadlineExceededError' });
  });

  it('counts nothing when every record succeeds', async () => {
    const handler = sqsEventHandler(['order.placed'], async () => undefined);
    await handler(sqsEvent(placed('o1', 'req-A')), context);
    expect(output.metrics()).toEqual([]);
  });
});

describe('sqsMessageHandler', () => {
  const Notice = z.object({ key: z.string() });
  it('hands each body that matches its schema to the handler and fails only those that do not parse or match', async () => {
    const seen: string[] = [];
    const handler = sqsMessageHandler(Notice, async ({ key }) => {
      seen.push(key);
    });
    const event = {
      Records: ['{"key":"a"}', 'not json', '{"key":1}', '{"key":"b"}'].map((body, index) => ({ messageId: `m${index}`, body, attributes: {}, messageAttributes: {} })),
    } as unknown as Parameters<typeof handler>[0];
    const output = captureOutput();
    const response = await handler(event, context).finally(() => output.restore());
    expect(seen.sort()).toEqual(['a', 'b']);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }]);
  });
});
