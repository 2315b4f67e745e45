import { Table } from '@platform/dynamo';
import { withCorrelationId } from '@platform/observability';
import { captureOutput, serviceTableForFile } from '@platform/testing';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { DynamoOrderStore } from '../../src/adapters/dynamo-order-store';
import { OrdersService } from '../../src/domain';

// The scheduled sweep on DynamoDB Local, in a table of its own (the sweep counts
// every stuck order of its table). Its WARN lines and its metric are read here.
process.env.POWERTOOLS_METRICS_DISABLED = 'false';
process.env.POWERTOOLS_LOG_LEVEL = 'WARN';
const testTable = serviceTableForFile('order-processor', 'OrdersTable', (name) => new Table(name));

beforeAll(() => {
  process.env.TABLE_NAME = testTable.name;
});

const context = { awsRequestId: 'r', functionName: 'findStuckOrders' } as Context;
const scheduled = { 'detail-type': 'Scheduled Event', source: 'aws.events' } as ScheduledEvent;
const ada = { id: 'sub-ada', email: 'ada@example.com' };
const minutesAgo = (minutes: number) => () => new Date(Date.now() - minutes * 60_000);

const sweep = async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { handler } = require('../../src/handlers/find-stuck-orders') as typeof import('../../src/handlers/find-stuck-orders');
  const output = captureOutput();
  const result = await handler(scheduled, context).finally(() => output.restore());
  const stuckMetrics = output.metrics().filter((metric) => metric.name === 'OrdersStuckPending');
  return { result, logs: output.logs().filter((line) => line.level === 'WARN'), stuckMetrics };
};

describe('findStuckOrders handler, on DynamoDB Local', () => {
  it('counts 0 when nothing is stuck, so the alarm always has data', async () => {
    const { result, logs, stuckMetrics } = await sweep();
    expect(result).toEqual({ stuck: 0, thresholdMinutes: 10 });
    expect(logs).toEqual([]);
    expect(stuckMetrics.map(({ value, dimensions }) => ({ value, dimensions: Object.keys(dimensions) }))).toEqual([{ value: 0, dimensions: ['service'] }]);
  });

  it('logs one WARN line per order PENDING past STUCK_ORDER_AFTER_MINUTES, with its age and flow, and counts them', async () => {
    const { table } = testTable;
    const at = (minutes: number) => new OrdersService(new DynamoOrderStore(table), { now: minutesAgo(minutes) });
    const stuck = await withCorrelationId('flow-stuck', () => at(45).place({ itemId: 'i1', quantity: 1 }, ada));
    const older = await at(90).place({ itemId: 'i1', quantity: 2 }, ada);
    const decided = await at(60).place({ itemId: 'i1', quantity: 3 }, ada);
    await at(59).settle({ orderId: decided.id, itemId: 'i1', quantity: 3, decision: { status: 'CONFIRMED' } });
    await at(20).place({ itemId: 'i1', quantity: 4 }, ada);

    process.env.STUCK_ORDER_AFTER_MINUTES = '30';
    const { result, logs, stuckMetrics } = await sweep().finally(() => delete process.env.STUCK_ORDER_AFTER_MINUTES);
    expect(result).toEqual({ stuck: 2, thresholdMinutes: 30 });
    expect(logs.map(({ message, orderId, correlationId, thresholdMinutes }) => ({ message, orderId, correlationId, thresholdMinutes }))).toEqual([
      { message: 'order stuck in PENDING', orderId: older.id, correlationId: undefined, thresholdMinutes: 30 },
      { message: 'order stuck in PENDING', orderId: stuck.id, correlationId: 'flow-stuck', thresholdMinutes: 30 },
    ]);
    expect(logs.map((line) => Math.round(Number(line.ageSeconds) / 60))).toEqual([90, 45]);
    expect(stuckMetrics.map(({ value }) => value)).toEqual([2]);
  });

  it('fails (and so alarms on Errors) on a threshold that is not a positive number of minutes', async () => {
    process.env.STUCK_ORDER_AFTER_MINUTES = 'ten';
    await expect(sweep().finally(() => delete process.env.STUCK_ORDER_AFTER_MINUTES)).rejects.toThrow('STUCK_ORDER_AFTER_MINUTES');
  });
});
