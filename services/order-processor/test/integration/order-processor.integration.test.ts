import { entityKey, Table } from '@platform/dynamo';
import { buildEvent, createSnsPublisher, type EventOf } from '@platform/events';
import { createCapturedTopic, createServiceTable, sqsEvent, type CapturedTopic, type TestTable } from '@platform/testing';
import type { Context } from 'aws-lambda';
import { OrderProcessor, UnknownOrderError } from '../../src/domain';
// The handler reads its configuration on first use, so the test can set it first.
import { handler } from '../../src/handlers/process-orders';

// Against DynamoDB Local (a table built from items-api's own definition, which
// this service writes to) and a real SNS topic in the emulator.
let testTable: TestTable;
let table: Table;
let topic: CapturedTopic;
let processor: OrderProcessor;
let sequence = 0;

beforeAll(async () => {
  testTable = await createServiceTable('items-api', 'ItemsTable');
  table = new Table(testTable.name);
  topic = await createCapturedTopic();
  processor = new OrderProcessor(table, createSnsPublisher(topic.topicArn));
});

afterAll(() => testTable.drop());

const seedItem = async (stock: number) => {
  const id = `item-${(sequence += 1)}`;
  await table.put({ Item: { ...entityKey('ITEM', id), id, name: 'pen', priceCents: 1, stock, version: 1 } });
  return id;
};

const placeOrder = async (itemId: string, quantity = 1): Promise<EventOf<'order.placed'>> => {
  const orderId = `order-${(sequence += 1)}`;
  const data = { orderId, itemId, quantity, customerEmail: 'a@example.com' };
  await table.put({ Item: { ...entityKey('ORDER', orderId), id: orderId, ...data, status: 'PENDING' } });
  return buildEvent('order.placed', 'items-api', data, { id: `order.placed:${orderId}` });
};

const stockOf = async (itemId: string) => (await table.get<{ stock: number }>(entityKey('ITEM', itemId), true))?.stock;
const orderOf = async (orderId: string) => table.get<{ status: string; reason?: string }>(entityKey('ORDER', orderId), true);

describe('OrderProcessor', () => {
  it('confirms an order, takes the stock and publishes order.confirmed', async () => {
    const itemId = await seedItem(2);
    const event = await placeOrder(itemId, 2);
    await expect(processor.process(event)).resolves.toEqual({ status: 'CONFIRMED' });
    expect(await stockOf(itemId)).toBe(0);
    expect(await orderOf(event.data.orderId)).toMatchObject({ status: 'CONFIRMED' });
    const published = await topic.published();
    expect(published).toEqual([
      expect.objectContaining({ type: 'order.confirmed', id: `order.confirmed:${event.data.orderId}`, source: 'order-processor', data: event.data }),
    ]);
  });

  it('rejects an order for more than the stock with OUT_OF_STOCK and leaves the stock alone', async () => {
    const itemId = await seedItem(1);
    const event = await placeOrder(itemId, 2);
    await expect(processor.process(event)).resolves.toEqual({ status: 'REJECTED', reason: 'OUT_OF_STOCK' });
    expect(await stockOf(itemId)).toBe(1);
    expect(await orderOf(event.data.orderId)).toMatchObject({ status: 'REJECTED', reason: 'OUT_OF_STOCK' });
    expect((await topic.published()).map((e) => [e.type, e.data.reason])).toEqual([['order.rejected', 'OUT_OF_STOCK']]);
  });

  it('rejects an order for an item that is gone with ITEM_NOT_FOUND', async () => {
    const event = await placeOrder('no-such-item');
    await expect(processor.process(event)).resolves.toEqual({ status: 'REJECTED', reason: 'ITEM_NOT_FOUND' });
    expect((await topic.published()).map((e) => e.data.reason)).toEqual(['ITEM_NOT_FOUND']);
  });

  it('changes nothing twice on a duplicate delivery, and republishes the same outcome event', async () => {
    const itemId = await seedItem(5);
    const event = await placeOrder(itemId, 2);
    await processor.process(event);
    await processor.process(event);
    await processor.process(event);
    expect(await stockOf(itemId)).toBe(3);
    const published = await topic.published();
    expect(published).toHaveLength(3);
    expect(new Set(published.map((e) => e.id))).toEqual(new Set([`order.confirmed:${event.data.orderId}`]));
  });

  it('never takes stock below zero when deliveries interleave', async () => {
    // DynamoDB Local runs transactions one at a time, so this checks the stock
    // condition under interleaved deliveries. The TransactionConflict retries
    // that DynamoDB needs under real contention are unit-tested in libs/dynamo.
    const itemId = await seedItem(3);
    const events = await Promise.all(Array.from({ length: 8 }, () => placeOrder(itemId, 1)));
    const decisions = await Promise.all(events.map((event) => processor.process(event)));
    expect(decisions.filter((d) => d.status === 'CONFIRMED')).toHaveLength(3);
    expect(decisions.filter((d) => d.status === 'REJECTED')).toHaveLength(5);
    expect(await stockOf(itemId)).toBe(0);
    await topic.published();
  });

  it('refuses an order.placed for an order that does not exist', async () => {
    const event = buildEvent('order.placed', 'items-api', { orderId: 'ghost', itemId: 'x', quantity: 1, customerEmail: 'a@example.com' });
    await expect(processor.process(event)).rejects.toThrow(UnknownOrderError);
  });
});

describe('processOrders handler', () => {
  it('reports only the malformed and the failing records of a batch', async () => {
    process.env.ITEMS_TABLE_NAME = testTable.name;
    process.env.EVENTS_TOPIC_ARN = topic.topicArn;
    const itemId = await seedItem(1);
    const good = await placeOrder(itemId);
    const ghost = buildEvent('order.placed', 'items-api', { orderId: 'ghost', itemId, quantity: 1, customerEmail: 'a@example.com' });
    const event = sqsEvent(good, '{not json', { ...good, data: { ...good.data, quantity: -1 } }, ghost, buildEvent('item.deleted', 'items-api', { id: itemId }));
    const response = await handler(event, { awsRequestId: 'r', functionName: 'processOrders' } as Context);
    const failed = response.batchItemFailures.map((failure) => failure.itemIdentifier);
    expect(failed).toEqual(event.Records.slice(1).map((record) => record.messageId));
    expect(await orderOf(good.data.orderId)).toMatchObject({ status: 'CONFIRMED' });
    await topic.published();
  });
});
