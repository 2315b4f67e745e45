import { randomUUID } from 'node:crypto';
import { Table } from '@platform/dynamo';
import { buildEvent, createSnsPublisher } from '@platform/events';
import { streamOutboxHandler } from '@platform/handler-kit';
import { withCorrelationId } from '@platform/observability';
import { captureOutput, createCapturedTopic, readTableStream, sqsEvent, serviceTableForFile } from '@platform/testing';
import type { Context } from 'aws-lambda';
import { DynamoOrderStore } from '../../src/adapters/dynamo-order-store';
import { eventForChange } from '../../src/adapters/outbox';
import { OrdersService } from '../../src/domain';
import { ordersBehaviour } from '../support/orders-behaviour';

// Orders on DynamoDB Local, in a table built from serverless.yml's own definition.
// The handler's metrics are read here (the emulator setup turns them off elsewhere).
process.env.POWERTOOLS_METRICS_DISABLED = 'false';
const testTable = serviceTableForFile('order-processor', 'OrdersTable', (name) => new Table(name));

ordersBehaviour(() => new DynamoOrderStore(testTable.table));

const context = { awsRequestId: 'r', functionName: 'test' } as Context;
const ada = { id: 'sub-ada', email: 'ada@example.com' };
const bob = { id: 'sub-bob', email: 'bob@example.com' };

describe('settleOrders handler and the outbox, on DynamoDB Local and the SNS emulator', () => {
  it('settles from stock answers, fails only what it must not act on, and publishes each outcome once from the stored order', async () => {
    process.env.TABLE_NAME = testTable.name;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { handler } = require('../../src/handlers/settle-orders') as typeof import('../../src/handlers/settle-orders');
    const orders = new OrdersService(new DynamoOrderStore(testTable.table));
    // Each order placed by its own request (the flow's correlation id), as placeOrder runs it.
    const [ok, refused] = [
      await withCorrelationId('req-ok', () => orders.place({ itemId: 'i1', quantity: 2 }, ada)),
      await withCorrelationId('req-refused', () => orders.place({ itemId: 'i2', quantity: 1 }, bob)),
    ];
    const reserved = buildEvent('stock.reserved', 'items-api', { orderId: ok.id, itemId: 'i1', quantity: 2 }, { id: `stock.reserved:${ok.id}`, correlationId: 'req-ok' });
    const rejected = buildEvent('stock.rejected', 'items-api', { orderId: refused.id, itemId: 'i2', quantity: 1, reason: 'OUT_OF_STOCK' }, { correlationId: 'req-refused' });
    const unknown = buildEvent('stock.reserved', 'items-api', { orderId: randomUUID(), itemId: 'i1', quantity: 1 });
    const tampered = buildEvent('stock.reserved', 'items-api', { orderId: refused.id, itemId: 'i9', quantity: 7 });
    const event = sqsEvent(reserved, rejected, unknown, tampered, reserved, '{"type":"stock.reserved"}');
    const output = captureOutput();
    const response = await handler(event, context).finally(() => output.restore());
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier).sort()).toEqual([2, 3, 5].map((i) => event.Records[i]?.messageId).sort());
    // The redelivered answer decides nothing, so counts nothing.
    expect(output.metrics().map(({ name, value, dimensions: { reason } }) => `${name} ${String(value)}${reason ? ` ${String(reason)}` : ''}`).sort()).toEqual([
      'OrdersConfirmed 1',
      'OrdersRejected 1 OUT_OF_STOCK',
      'RecordsFailed 3',
    ]);
    expect(await orders.get(ok.id, ada)).toMatchObject({ status: 'CONFIRMED' });
    expect(await orders.get(refused.id, bob)).toMatchObject({ status: 'REJECTED', reason: 'OUT_OF_STOCK' });

    const topic = await createCapturedTopic();
    const relay = streamOutboxHandler(eventForChange, () => createSnsPublisher(topic.topicArn));
    expect(await relay(await readTableStream(testTable.name), context)).toEqual({ batchItemFailures: [] });
    const published = (await topic.published()).filter((e) => [ok.id, refused.id].includes(e.data.orderId));
    expect(published.map((e) => e.id).sort()).toEqual([`order.confirmed:${ok.id}`, `order.placed:${ok.id}`, `order.placed:${refused.id}`, `order.rejected:${refused.id}`].sort());
    expect(published.find((e) => e.type === 'order.rejected')?.data).toEqual({ orderId: refused.id, itemId: 'i2', quantity: 1, customerEmail: 'bob@example.com', reason: 'OUT_OF_STOCK' });
    // Each event carries its order's flow: from the request that placed it, by way of the catalogue's answer.
    expect(Object.fromEntries(published.map((e) => [e.id, e.correlationId]))).toEqual({
      [`order.placed:${ok.id}`]: 'req-ok',
      [`order.confirmed:${ok.id}`]: 'req-ok',
      [`order.placed:${refused.id}`]: 'req-refused',
      [`order.rejected:${refused.id}`]: 'req-refused',
    });
  });
});
