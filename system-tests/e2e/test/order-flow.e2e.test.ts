import { PublishCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, GetQueueUrlCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { api, callers, dynamodb, scan, sns, sqs, waitFor } from '../support/local';

// Names the services' serverless.yml give their resources on the local stage.
const BUS_ARN = 'arn:aws:sns:us-east-1:000000000000:event-bus-local-domain-events';
const ITEMS_TABLE = 'items-api-local-items';
const ORDERS_TABLE = 'order-processor-local-orders';
const NOTIFICATIONS_TABLE = 'notifier-local-notifications';
const QUEUES = {
  'order.placed': { queue: 'items-api-local-order-placed', dlq: 'items-api-local-order-placed-dlq' },
  'stock.reserved': { queue: 'order-processor-local-stock-answers', dlq: 'order-processor-local-stock-answers-dlq' },
  'order.confirmed': { queue: 'notifier-local-order-outcomes', dlq: 'notifier-local-order-outcomes-dlq' },
} as const;
const CUSTOMER_NOTIFICATIONS_TOPIC = 'arn:aws:sns:us-east-1:000000000000:notifier-local-customer-notifications';
const SENT_CAPTURE_QUEUE = 'e2e-customer-notifications';

const db = dynamodb();
const bus = sns();
const queues = sqs();

beforeAll(async () => {
  // Stands in for the e-mail/SMS subscribers: every notification notifier really sends lands here.
  await queues.send(new CreateQueueCommand({ QueueName: SENT_CAPTURE_QUEUE }));
  await bus.send(
    new SubscribeCommand({
      TopicArn: CUSTOMER_NOTIFICATIONS_TOPIC,
      Protocol: 'sqs',
      Endpoint: `arn:aws:sqs:us-east-1:000000000000:${SENT_CAPTURE_QUEUE}`,
      Attributes: { RawMessageDelivery: 'true' },
    }),
  );
});

const queueUrl = async (name: string) => (await queues.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl as string;

const sent: string[] = [];
/** How many notifications were sent (published to the customer-notifications topic) about each order. */
const sentAbout = async (orderIds: string[]) => {
  const url = await queueUrl(SENT_CAPTURE_QUEUE);
  for (;;) {
    const { Messages = [] } = await queues.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (Messages.length === 0) break;
    sent.push(...Messages.map((message) => message.Body as string));
    for (const message of Messages) await queues.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle }));
  }
  return orderIds.map((orderId) => sent.filter((text) => text.includes(orderId)).length);
};

const inFlight = async (name: string) => {
  const { Attributes = {} } = await queues.send(
    new GetQueueAttributesCommand({ QueueUrl: await queueUrl(name), AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible);
};

const peek = async (name: string) => {
  const { Messages = [] } = await queues.send(
    new ReceiveMessageCommand({ QueueUrl: await queueUrl(name), MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 0 }),
  );
  return Messages.map((message) => message.Body as string);
};

const notificationsFor = async (orderIds: string[]) => (await scan(db, NOTIFICATIONS_TABLE)).filter((n) => orderIds.includes(n.orderId));

const createItem = async (stock: number) => {
  const response = await api('POST', '/items', { name: 'lamp', priceCents: 2500, stock }, callers.staff());
  expect(response.status).toBe(201);
  return response.json.id as string;
};

const stockOf = async (itemId: string) => (await api('GET', `/items/${itemId}`)).json.stock as number;

// Ada's orders: the token says who she is and where the outcome goes; the body names only the item.
const order = async (itemId: string, key?: string) => {
  const response = await api('POST', '/orders', { itemId, quantity: 1 }, { ...callers.ada(), ...(key && { 'idempotency-key': key }) });
  expect(response.status).toBe(202);
  return response.json.orderId as string;
};

const settled = (orderId: string) =>
  waitFor(async () => {
    const response = await api('GET', `/orders/${orderId}`, undefined, callers.ada());
    expect(response.status).toBe(200);
    return ['CONFIRMED', 'REJECTED'].includes(response.json.status) ? response.json : undefined;
  }, `order ${orderId} to be decided`);

const allSent = (orderIds: string[]) =>
  waitFor(async () => {
    const found = await notificationsFor(orderIds);
    return found.length >= orderIds.length && found.every((n) => n.status === 'SENT') ? found : undefined;
  }, `${orderIds.length} notification(s)`);

describe('the order saga over the event bus, on the local stack', () => {
  it('confirms two orders and rejects the third when stock is 2, and notifies each customer once', async () => {
    const itemId = await createItem(2);
    const orderIds = [await order(itemId), await order(itemId), await order(itemId)];
    const outcomes = await Promise.all(orderIds.map((id) => settled(id)));
    expect(outcomes.filter((o) => o.status === 'CONFIRMED')).toHaveLength(2);
    expect(outcomes.filter((o) => o.status === 'REJECTED')).toEqual([expect.objectContaining({ reason: 'OUT_OF_STOCK' })]);
    expect(await stockOf(itemId)).toBe(0);

    const notifications = await allSent(orderIds);
    expect(notifications.map((n) => n.eventType).sort()).toEqual(['order.confirmed', 'order.confirmed', 'order.rejected']);
    // Sent to the email in Ada's token, the only address the order ever knew.
    expect(new Set(notifications.map((n) => n.recipient))).toEqual(new Set(['ada@example.com']));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await notificationsFor(orderIds)).toHaveLength(3);
    expect(await sentAbout(orderIds)).toEqual([1, 1, 1]);
  });

  it('accepts an order for an unknown item, then rejects it with ITEM_NOT_FOUND and tells the customer', async () => {
    const orderId = await order('00000000-0000-4000-8000-000000000000');
    expect(await settled(orderId)).toMatchObject({ status: 'REJECTED', reason: 'ITEM_NOT_FOUND' });
    await allSent([orderId]);
    expect(await sentAbout([orderId])).toEqual([1]);
    expect((await api('GET', '/orders/00000000-0000-4000-8000-000000000000', undefined, callers.ada())).status).toBe(404);
  });

  it('confirms exactly 10 of 40 concurrent orders on an item with stock 10', async () => {
    const itemId = await createItem(10);
    // All at once, and polled all at once: the local stack takes a burst as Lambda would.
    const orderIds = await Promise.all(Array.from({ length: 40 }, () => order(itemId)));
    const outcomes = await Promise.all(orderIds.map((id) => settled(id)));
    expect(outcomes.filter((o) => o.status === 'CONFIRMED')).toHaveLength(10);
    expect(outcomes.filter((o) => o.status === 'REJECTED' && o.reason === 'OUT_OF_STOCK')).toHaveLength(30);
    expect(await stockOf(itemId)).toBe(0);
  });

  it('changes nothing twice for a retried POST with the same Idempotency-Key', async () => {
    const itemId = await createItem(5);
    const [first, second] = [await order(itemId, 'retry-key-1'), await order(itemId, 'retry-key-1')];
    expect(second).toBe(first);
    await settled(first);
    await allSent([first]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await stockOf(itemId)).toBe(4);
    expect(await sentAbout([first])).toEqual([1]);
    const other = await api('POST', '/orders', { itemId, quantity: 2 }, { ...callers.ada(), 'idempotency-key': 'retry-key-1' });
    expect(other.status).toBe(409);
    // Keys are each customer's own: Bob's retry-key-1 is a new order, and tells him nothing of Ada's.
    const bobs = await api('POST', '/orders', { itemId, quantity: 2 }, { ...callers.bob(), 'idempotency-key': 'retry-key-1' });
    expect(bobs.status).toBe(202);
    expect(bobs.json.orderId).not.toBe(first);
  });

  it('changes nothing twice when SQS delivers order.placed, stock.reserved and order.confirmed again', async () => {
    const itemId = await createItem(5);
    const orderId = await order(itemId);
    await settled(orderId);
    await allSent([orderId]);
    const envelope = (type: string, source: string, data: object) => JSON.stringify({ id: `${type}:${orderId}`, type, version: 1, occurredAt: new Date().toISOString(), source, data });
    const line = { orderId, itemId, quantity: 1 };
    const duplicates = {
      'order.placed': envelope('order.placed', 'order-processor', { ...line, customerEmail: 'ada@example.com' }),
      'stock.reserved': envelope('stock.reserved', 'items-api', line),
      'order.confirmed': envelope('order.confirmed', 'order-processor', { ...line, customerEmail: 'ada@example.com' }),
    };
    for (const [type, body] of Object.entries(duplicates)) {
      const url = await queueUrl(QUEUES[type as keyof typeof QUEUES].queue);
      await queues.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
      await queues.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
    }
    for (const { queue } of Object.values(QUEUES)) await waitFor(async () => ((await inFlight(queue)) === 0 ? true : undefined), `${queue} to drain`);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await stockOf(itemId)).toBe(4);
    expect((await api('GET', `/orders/${orderId}`, undefined, callers.ada())).json.status).toBe('CONFIRMED');
    expect(await notificationsFor([orderId])).toHaveLength(1);
    expect(await sentAbout([orderId])).toEqual([1]);
  });

  it('moves a poison message on each consumer queue into that queue’s DLQ, and nowhere else', async () => {
    for (const type of Object.keys(QUEUES)) {
      await bus.send(
        new PublishCommand({
          TopicArn: BUS_ARN,
          Message: JSON.stringify({ id: `poison-${type}`, type, version: 1, data: { quantity: 'lots' } }),
          MessageAttributes: { type: { DataType: 'String', StringValue: type } },
        }),
      );
    }
    for (const [type, { dlq }] of Object.entries(QUEUES)) {
      const dead = await waitFor(async () => {
        const bodies = await peek(dlq);
        return bodies.length > 0 ? bodies : undefined;
      }, `the poison ${type} in ${dlq}`, 60_000);
      expect(dead.map((body) => JSON.parse(body).id)).toEqual([`poison-${type}`]);
    }
  });

  it('keeps each service’s data in its own table, and stock at or above zero', async () => {
    const items = await scan(db, ITEMS_TABLE);
    // Stock shards (sk STOCK) when the stack runs with STOCK_SHARDS > 1 (docs/decisions/0011-hot-item-stock.md),
    // and pending image uploads (sk UPLOAD#<slot>) once the image tests granted some.
    expect([...new Set(items.map((row) => String(row.sk).replace(/^UPLOAD#\d+$/, 'UPLOAD')))].filter((sk) => sk !== 'STOCK' && sk !== 'UPLOAD').sort()).toEqual(['ITEM', 'RESERVATION']);
    for (const row of items.filter((r) => r.sk === 'ITEM' || r.sk === 'STOCK')) expect(row.stock).toBeGreaterThanOrEqual(0);
    const orders = await scan(db, ORDERS_TABLE);
    expect(new Set(orders.map((row) => row.sk))).toEqual(new Set(['ORDER', 'IDEMPOTENCY']));
  });
});
