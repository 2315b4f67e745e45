import { DynamoDBStreamsClient, DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createCursorCodec, Table } from '@platform/dynamo';
import { ConflictError, NotFoundError } from '@platform/errors';
import { createCapturedTopic, createServiceTable, type CapturedTopic, type TestTable } from '@platform/testing';
import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { idempotencyKey, ItemsService, OrdersService } from '../../src/domain';
import type { handler as publishDomainEvents } from '../../src/handlers/publish-domain-events';

// Against DynamoDB Local (the table as serverless.yml defines it, stream
// included) and a real SNS topic in the emulator.
let testTable: TestTable;
let items: ItemsService;
let orders: OrdersService;
let topic: CapturedTopic;

beforeAll(async () => {
  testTable = await createServiceTable('items-api', 'ItemsTable');
  const table = new Table(testTable.name);
  items = new ItemsService(table, createCursorCodec('orders-integration-secret'));
  orders = new OrdersService(table);
  topic = await createCapturedTopic();
});

afterAll(() => testTable.drop());

const newOrder = (itemId: string, quantity = 1) => ({ itemId, quantity, customerEmail: 'ada@example.com' });

describe('OrdersService', () => {
  it('accepts an order as PENDING', async () => {
    const item = await items.create({ name: 'pen', priceCents: 1, stock: 1 });
    const order = await orders.place(newOrder(item.id));
    expect(order).toMatchObject({ status: 'PENDING', itemId: item.id, quantity: 1 });
    expect(await orders.get(order.id)).toEqual(order);
  });

  it('refuses an order for an unknown item and reports an unknown order', async () => {
    await expect(orders.place(newOrder('missing-item'))).rejects.toThrow(NotFoundError);
    await expect(orders.get('missing-order')).rejects.toThrow(NotFoundError);
  });

  it('answers a repeated Idempotency-Key with the first order, even when the requests race', async () => {
    const item = await items.create({ name: 'pen', priceCents: 1, stock: 1 });
    const first = await orders.place(newOrder(item.id), 'key-1');
    expect(await orders.place(newOrder(item.id), 'key-1')).toEqual(first);
    const raced = await Promise.all([1, 2, 3].map(() => orders.place(newOrder(item.id), 'key-2')));
    expect(new Set(raced.map((order) => order.id)).size).toBe(1);
  });

  it('frees an Idempotency-Key once it has expired, even before TTL removes it', async () => {
    const item = await items.create({ name: 'pen', priceCents: 1, stock: 1 });
    const first = await orders.place(newOrder(item.id), 'key-expiring');
    await new Table(testTable.name).update({
      Key: idempotencyKey('key-expiring'),
      UpdateExpression: 'SET expiresAt = :past',
      ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 1 },
    });
    const second = await orders.place(newOrder(item.id, 2), 'key-expiring');
    expect(second.id).not.toBe(first.id);
    expect(await orders.place(newOrder(item.id, 2), 'key-expiring')).toEqual(second);
  });

  it('refuses a reused Idempotency-Key with a different request', async () => {
    const item = await items.create({ name: 'pen', priceCents: 1, stock: 1 });
    await orders.place(newOrder(item.id), 'key-3');
    await expect(orders.place(newOrder(item.id, 2), 'key-3')).rejects.toThrow(ConflictError);
  });
});

describe('publishDomainEvents (the outbox relay) on the table’s real stream', () => {
  const context = { awsRequestId: 'r', functionName: 'publishDomainEvents' } as Context;

  /** Reads every record of the table's stream so far, as Lambda would hand them over. */
  const streamEvent = async (): Promise<DynamoDBStreamEvent> => {
    const { Table: description } = await new DynamoDBClient({}).send(new DescribeTableCommand({ TableName: testTable.name }));
    const streamArn = description?.LatestStreamArn as string;
    const streams = new DynamoDBStreamsClient({ endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB });
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    const records = [];
    for (const shard of StreamDescription?.Shards ?? []) {
      const { ShardIterator } = await streams.send(
        new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
      );
      const { Records = [] } = await streams.send(new GetRecordsCommand({ ShardIterator }));
      records.push(...Records);
    }
    return { Records: records.map((record) => ({ ...record, eventSourceARN: streamArn })) } as unknown as DynamoDBStreamEvent;
  };

  /** A fresh copy of the handler module, configured for `topicArn` (its publisher is made once per container). */
  const relayFor = (topicArn: string): typeof publishDomainEvents => {
    process.env.EVENTS_TOPIC_ARN = topicArn;
    let relay: typeof publishDomainEvents | undefined;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      relay = require('../../src/handlers/publish-domain-events').handler;
    });
    return relay as typeof publishDomainEvents;
  };

  it('publishes order.placed for an accepted order even when the first publish fails', async () => {
    const item = await items.create({ name: 'lamp', priceCents: 1, stock: 1 });
    const order = await orders.place(newOrder(item.id));
    const event = await streamEvent();
    const orderRecord = event.Records.find((record) => record.dynamodb?.NewImage?.pk?.S === `ORDER#${order.id}`);
    expect(orderRecord).toBeDefined();

    // The publish fails right after the write (here: the topic is not there).
    const failing = await relayFor(`${topic.topicArn}-gone`)(event, context);
    expect(failing.batchItemFailures.map((f) => f.itemIdentifier)).toContain(orderRecord?.dynamodb?.SequenceNumber);
    expect(await topic.published()).toEqual([]);

    // Lambda retries the stream batch; this time SNS takes it.
    const retried = await relayFor(topic.topicArn)(event, context);
    expect(retried.batchItemFailures).toEqual([]);
    const published = await topic.published();
    expect(published.filter((e) => e.data.orderId === order.id)).toEqual([
      expect.objectContaining({ id: `order.placed:${order.id}`, data: expect.objectContaining({ orderId: order.id }) }),
    ]);
    expect(published.filter((e) => e.type === 'item.created').length).toBeGreaterThan(0);
  });
});
