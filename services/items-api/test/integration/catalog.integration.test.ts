import { randomUUID } from 'node:crypto';
import { createCursorCodec, Table } from '@platform/dynamo';
import { buildEvent, createSnsPublisher } from '@platform/events';
import { streamOutboxHandler } from '@platform/handler-kit';
import { createCapturedTopic, createServiceTable, readTableStream, sqsEvent, type TestTable } from '@platform/testing';
import type { Context } from 'aws-lambda';
import { DynamoItemStore } from '../../src/adapters/dynamo-item-store';
import { DynamoReservationStore } from '../../src/adapters/dynamo-reservation-store';
import { eventForChange } from '../../src/adapters/outbox';
import { ItemsService } from '../../src/domain';
import { catalogBehaviour } from '../support/catalog-behaviour';

// The catalogue on DynamoDB Local, in a table built from serverless.yml's own definition.
let testTable: TestTable;
let table: Table;

beforeAll(async () => {
  testTable = await createServiceTable('items-api', 'ItemsTable');
  table = new Table(testTable.name);
});

afterAll(() => testTable.drop());

catalogBehaviour(() => ({ items: new DynamoItemStore(table, createCursorCodec('items-integration-secret')), reservations: new DynamoReservationStore(table) }));

const context = { awsRequestId: 'r', functionName: 'test' } as Context;
const orderPlaced = (itemId: string, quantity = 1) => {
  const orderId = randomUUID();
  return buildEvent('order.placed', 'order-processor', { orderId, itemId, quantity, customerEmail: 'ada@example.com' }, { id: `order.placed:${orderId}` });
};

describe('reserveStock handler and the outbox, on DynamoDB Local and the SNS emulator', () => {
  it('answers order.placed, fails only the poison record, and publishes the answers through the stream', async () => {
    process.env.TABLE_NAME = testTable.name;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { handler } = require('../../src/handlers/reserve-stock') as typeof import('../../src/handlers/reserve-stock');
    const item = await new ItemsService(new DynamoItemStore(table, createCursorCodec('items-integration-secret'))).create({ name: 'lamp', priceCents: 1, stock: 1 });
    const [first, second] = [orderPlaced(item.id), orderPlaced(item.id)];
    const event = sqsEvent(first, '{"type":"order.placed","data":{"quantity":"lots"}}', second, first);
    const response = await handler(event, context);
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual([event.Records[1]?.messageId]);

    const topic = await createCapturedTopic();
    const relay = streamOutboxHandler(eventForChange, () => createSnsPublisher(topic.topicArn));
    expect(await relay(await readTableStream(testTable.name), context)).toEqual({ batchItemFailures: [] });
    const published = (await topic.published()).filter((e) => [first, second].some((o) => o.data.orderId === e.data.orderId));
    expect(published).toEqual([
      expect.objectContaining({ id: `stock.reserved:${first.data.orderId}`, type: 'stock.reserved', data: { orderId: first.data.orderId, itemId: item.id, quantity: 1 } }),
      expect.objectContaining({ type: 'stock.rejected', data: expect.objectContaining({ orderId: second.data.orderId, reason: 'OUT_OF_STOCK' }) }),
    ]);
  });
});
