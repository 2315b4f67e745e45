import { randomUUID } from 'node:crypto';
import { createCursorCodec, Table } from '@platform/dynamo';
import { buildEvent, createSnsPublisher } from '@platform/events';
import { streamOutboxHandler } from '@platform/handler-kit';
import { withCorrelationId } from '@platform/observability';
import { NotFoundError } from '@platform/errors';
import { captureOutput, createCapturedTopic, readTableStream, sqsEvent, serviceTableForFile } from '@platform/testing';
import type { Context } from 'aws-lambda';
import { DynamoItemStore } from '../../src/adapters/dynamo-item-store';
import { DynamoReservationStore } from '../../src/adapters/dynamo-reservation-store';
import { eventForChange } from '../../src/adapters/outbox';
import { ItemsService, StockKeeper } from '../../src/domain';
import { catalogBehaviour } from '../support/catalog-behaviour';

// The catalogue on DynamoDB Local, in a table built from serverless.yml's own definition.
// The handler's metrics are read here (the emulator setup turns them off elsewhere).
process.env.POWERTOOLS_METRICS_DISABLED = 'false';
const testTable = serviceTableForFile('items-api', 'ItemsTable', (name) => new Table(name));

catalogBehaviour(() => ({ items: new DynamoItemStore(testTable.table, createCursorCodec('items-integration-secret')), reservations: new DynamoReservationStore(testTable.table) }));

// The same promises when each item's stock is split over counter shards (docs/decisions/0011-hot-item-stock.md).
describe('with stock in 4 counter shards', () => {
  catalogBehaviour(() => ({
    items: new DynamoItemStore(testTable.table, createCursorCodec('items-integration-secret'), { stockShards: 4 }),
    reservations: new DynamoReservationStore(testTable.table),
  }));
});

const context = { awsRequestId: 'r', functionName: 'test' } as Context;
const orderPlaced = (itemId: string, correlationId?: string) => {
  const orderId = randomUUID();
  const options = { id: `order.placed:${orderId}`, correlationId };
  return buildEvent('order.placed', 'order-processor', { orderId, itemId, quantity: 1, customerEmail: 'ada@example.com' }, options);
};

describe('reserveStock handler and the outbox, on DynamoDB Local and the SNS emulator', () => {
  it('answers order.placed, fails only the poison record, and publishes the answers through the stream', async () => {
    process.env.TABLE_NAME = testTable.name;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { handler } = require('../../src/handlers/reserve-stock') as typeof import('../../src/handlers/reserve-stock');
    const catalogue = new ItemsService(new DynamoItemStore(testTable.table, createCursorCodec('items-integration-secret')));
    const item = await withCorrelationId('req-item', () => catalogue.create({ name: 'lamp', priceCents: 1, stock: 1 }));
    const [first, second] = [orderPlaced(item.id, 'req-first'), orderPlaced(item.id, 'req-second')];
    const event = sqsEvent(first, '{"type":"order.placed","data":{"quantity":"lots"}}', second, first);
    const output = captureOutput();
    const response = await handler(event, context).finally(() => output.restore());
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual([event.Records[1]?.messageId]);
    // One answer per order: the redelivered `first` counts nothing.
    expect(output.metrics().map(({ name, value, dimensions: { reason } }) => [name, value, reason])).toEqual([
      ['StockReserved', 1, undefined],
      ['RecordsFailed', 1, undefined],
      ['StockRejected', 1, 'OUT_OF_STOCK'],
    ]);

    const topic = await createCapturedTopic();
    const relay = streamOutboxHandler(eventForChange, () => createSnsPublisher(topic.topicArn));
    expect(await relay(await readTableStream(testTable.name), context)).toEqual({ batchItemFailures: [] });
    const everything = await topic.published();
    const published = everything.filter((e) => [first, second].some((o) => o.data.orderId === e.data.orderId));
    expect(published).toEqual([
      expect.objectContaining({ id: `stock.reserved:${first.data.orderId}`, type: 'stock.reserved', data: { orderId: first.data.orderId, itemId: item.id, quantity: 1 } }),
      expect.objectContaining({ type: 'stock.rejected', data: expect.objectContaining({ orderId: second.data.orderId, reason: 'OUT_OF_STOCK' }) }),
    ]);
    // Each answer belongs to its order's flow; so does the stock change the reservation made.
    expect(published.map((e) => e.correlationId)).toEqual(['req-first', 'req-second']);
    const ofItem = everything.filter((e) => e.type.startsWith('item.') && e.data.id === item.id);
    expect(ofItem.map((e) => [e.id, e.correlationId])).toEqual([
      [`item.created:${item.id}`, 'req-item'],
      [`item.updated:${item.id}:2`, 'req-first'],
    ]);
  });
});

describe('a sharded item through the outbox, on DynamoDB Local and the SNS emulator', () => {
  it('publishes item.created, the answer, item.updated of a restock with the whole stock and version, and item.deleted; its shards publish nothing', async () => {
    const codec = createCursorCodec('items-integration-secret');
    const catalogue = new ItemsService(new DynamoItemStore(testTable.table, codec, { stockShards: 3 }));
    const item = await catalogue.create({ name: 'hot', priceCents: 1, stock: 5 });
    const order = { orderId: randomUUID(), itemId: item.id, quantity: 2 };
    await new StockKeeper(new DynamoReservationStore(testTable.table)).answer(order);
    expect(await catalogue.update(item.id, { expectedVersion: 2, stock: 9 })).toMatchObject({ stock: 9, version: 3 });
    await catalogue.remove(item.id);

    const topic = await createCapturedTopic();
    const relay = streamOutboxHandler(eventForChange, () => createSnsPublisher(topic.topicArn));
    expect(await relay(await readTableStream(testTable.name), context)).toEqual({ batchItemFailures: [] });
    const published = await topic.published();
    // The row's own changes in its order (rows of the table go out in parallel, each row's in order).
    const ofItem = published.filter((e) => e.type.startsWith('item.') && e.data.id === item.id);
    expect(ofItem.map((e) => [e.id, e.type === 'item.deleted' ? undefined : (e.data as { stock?: number }).stock])).toEqual([
      [`item.created:${item.id}`, 5],
      [`item.updated:${item.id}:3`, 9],
      [`item.deleted:${item.id}`, undefined],
    ]);
    expect(published.filter((e) => e.data.orderId === order.orderId).map((e) => e.id)).toEqual([`stock.reserved:${order.orderId}`]);
    // The whole table's stream is read: more than the default 5 s on a busy machine.
  }, 30_000);
});

describe('deleting an item, on DynamoDB Local and the SNS emulator', () => {
  const store = () => new DynamoItemStore(testTable.table, createCursorCodec('items-integration-secret'));

  it('publishes item.deleted dated at the delete, not at the relay’s publish, after the item’s earlier changes', async () => {
    const deletedAt = new Date('2020-02-02T02:02:02.202Z');
    const catalogue = new ItemsService(store(), randomUUID, () => deletedAt);
    const item = await new ItemsService(store()).create({ name: 'vase', priceCents: 1, stock: 1 });
    await catalogue.update(item.id, { expectedVersion: 1, stock: 2 });
    await catalogue.remove(item.id);

    const topic = await createCapturedTopic();
    const relay = streamOutboxHandler(eventForChange, () => createSnsPublisher(topic.topicArn));
    expect(await relay(await readTableStream(testTable.name), context)).toEqual({ batchItemFailures: [] });
    const ofItem = (await topic.published()).filter((e) => e.type.startsWith('item.') && e.data.id === item.id);
    expect(ofItem.map((e) => e.type)).toEqual(['item.created', 'item.updated', 'item.deleted']);
    expect(ofItem[2]).toMatchObject({ id: `item.deleted:${item.id}`, occurredAt: deletedAt.toISOString() });
  });

  it('keeps the stamp of a delete that did not finish out of the item, and a later delete still removes it', async () => {
    const catalogue = new ItemsService(store());
    const item = await catalogue.create({ name: 'jug', priceCents: 1, stock: 1 });
    const interrupted = new Table(testTable.name);
    jest.spyOn(interrupted, 'delete').mockRejectedValueOnce(new Error('the function timed out'));
    await expect(new DynamoItemStore(interrupted, createCursorCodec('items-integration-secret')).remove(item.id, new Date().toISOString())).rejects.toThrow('timed out');

    expect(await catalogue.get(item.id)).toEqual(item);
    expect(Object.keys(await catalogue.update(item.id, { expectedVersion: 1, stock: 3 }))).not.toContain('deletedAt');
    await catalogue.remove(item.id);
    await expect(catalogue.get(item.id)).rejects.toThrow(NotFoundError);
  });
});
