import { buildEvent } from '@platform/events';
import { currentCorrelationId } from '@platform/observability';
import { captureOutput, sqsEvent, type CapturedOutput } from '@platform/testing';
import type { Context } from 'aws-lambda';
import { sqsEventHandler } from '../src';

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
    const handler = sqsEventHandler(['order.placed'], async (event, { logger }) => {
      await new Promise((resolve) => setTimeout(resolve, event.data.orderId === 'o1' ? 10 : 1));
      flows[event.data.orderId] = currentCorrelationId();
      logger.info('handled');
    });
    const response = await handler(sqsEvent(placed('o1', 'req-A'), placed('o2', 'req-B'), placed('o3')), context);
    expect(response.batchItemFailures).toEqual([]);
    expect(flows).toEqual({ o1: 'req-A', o2: 'req-B', o3: undefined });
    const handled = output.logs().filter((entry) => entry.message === 'handled');
    // o1 waited longest and finished last: the flows really overlapped.
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

  it('counts nothing when every record succeeds', async () => {
    const handler = sqsEventHandler(['order.placed'], async () => undefined);
    await handler(sqsEvent(placed('o1', 'req-A')), context);
    expect(output.metrics()).toEqual([]);
  });
});
