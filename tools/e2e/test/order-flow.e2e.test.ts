import { ScanCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, GetQueueUrlCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { startLocalStack, type RunningStack } from '@platform/testing';

// Names the services' serverless.yml give their resources on the local stage.
const TOPIC_ARN = 'arn:aws:sns:us-east-1:000000000000:items-api-local-domain-events';
const ITEMS_TABLE = 'items-api-local-items';
const NOTIFICATIONS_TABLE = 'notifier-local-notifications';
const ORDERS_QUEUE = 'order-processor-local-orders';
const ORDERS_DLQ = 'order-processor-local-orders-dlq';
const NOTIFIER_DLQ = 'notifier-local-order-outcomes-dlq';
const CUSTOMER_NOTIFICATIONS_TOPIC = 'arn:aws:sns:us-east-1:000000000000:notifier-local-customer-notifications';
const SENT_CAPTURE_QUEUE = 'e2e-customer-notifications';

let stack: RunningStack;
let dynamodb: DynamoDBClient;
let sns: SNSClient;
let sqs: SQSClient;

beforeAll(async () => {
  // Failed SQS records come back after 1 s instead of the 36 s visibility timeout.
  stack = await startLocalStack({ env: { LOCAL_SQS_RETRY_SECONDS: '1' } });
  const local = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
  dynamodb = new DynamoDBClient({ ...local, endpoint: stack.dynamodbEndpoint });
  sns = new SNSClient({ ...local, endpoint: stack.snsSqsEndpoint });
  sqs = new SQSClient({ ...local, endpoint: stack.snsSqsEndpoint });
  // Stands in for the e-mail/SMS subscribers: every notification notifier really sends lands here.
  await sqs.send(new CreateQueueCommand({ QueueName: SENT_CAPTURE_QUEUE }));
  await sns.send(
    new SubscribeCommand({
      TopicArn: CUSTOMER_NOTIFICATIONS_TOPIC,
      Protocol: 'sqs',
      Endpoint: `arn:aws:sqs:us-east-1:000000000000:${SENT_CAPTURE_QUEUE}`,
      Attributes: { RawMessageDelivery: 'true' },
    }),
  );
}, 240_000);

afterAll(async () => {
  await stack?.stop();
});

const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const response = await fetch(`${stack.apiUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
};

const waitFor = async <T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}\n${stack.output().slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
};

const scan = async (table: string) => {
  const { Items = [] } = await dynamodb.send(new ScanCommand({ TableName: table, ConsistentRead: true }));
  return Items.map((item) => unmarshall(item));
};

const notificationsFor = async (orderIds: string[]) =>
  (await scan(NOTIFICATIONS_TABLE)).filter((n) => orderIds.includes(n.orderId));

const sent: string[] = [];

/** How many notifications were sent (published to the customer-notifications topic) about each order. */
const sentAbout = async (orderIds: string[]) => {
  const url = await queueUrl(SENT_CAPTURE_QUEUE);
  for (;;) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (Messages.length === 0) break;
    sent.push(...Messages.map((message) => message.Body as string));
    for (const message of Messages) await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle }));
  }
  return orderIds.map((orderId) => sent.filter((text) => text.includes(orderId)).length);
};

const queueUrl = async (name: string) => (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl as string;

const inFlight = async (name: string) => {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: await queueUrl(name),
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible);
};

const receiveAll = async (name: string) => {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: await queueUrl(name), MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 0 }),
  );
  return Messages.map((message) => message.Body as string);
};

const createItem = async (stock: number) => {
  const response = await api('POST', '/items', { name: 'lamp', priceCents: 2500, stock });
  expect(response.status).toBe(201);
  return response.json.id as string;
};

const order = (itemId: string, key?: string) =>
  api('POST', '/orders', { itemId, quantity: 1, customerEmail: 'ada@example.com' }, key ? { 'idempotency-key': key } : {});

const settledOrder = (orderId: string) =>
  waitFor(async () => {
    const response = await api('GET', `/orders/${orderId}`);
    return response.json?.status !== 'PENDING' ? response.json : undefined;
  }, `order ${orderId} to be decided`);

describe('order flow through SNS → SQS on the local stack', () => {
  it('confirms two orders and rejects the third when stock is 2, and notifies each customer once', async () => {
    const itemId = await createItem(2);
    const accepted = [];
    for (let i = 0; i < 3; i += 1) accepted.push(await order(itemId));
    for (const response of accepted) expect(response).toEqual({ status: 202, json: { orderId: expect.any(String), status: 'PENDING' } });
    const orderIds = accepted.map((response) => response.json.orderId as string);

    const outcomes = await Promise.all(orderIds.map(settledOrder));
    expect(outcomes.filter((o) => o.status === 'CONFIRMED')).toHaveLength(2);
    expect(outcomes.filter((o) => o.status === 'REJECTED')).toEqual([expect.objectContaining({ reason: 'OUT_OF_STOCK' })]);
    expect((await api('GET', `/items/${itemId}`)).json.stock).toBe(0);

    const notifications = await waitFor(async () => {
      const found = await notificationsFor(orderIds);
      return found.length >= 3 && found.every((n) => n.status === 'SENT') ? found : undefined;
    }, 'three notifications');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await notificationsFor(orderIds)).toHaveLength(3);
    expect(notifications.map((n) => n.eventType).sort()).toEqual(['order.confirmed', 'order.confirmed', 'order.rejected']);
    expect(await sentAbout(orderIds)).toEqual([1, 1, 1]);
  });

  it('answers 404 to an order for an unknown item, and 404 to an unknown order', async () => {
    expect((await order('00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await api('GET', '/orders/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('answers a retried POST with the same Idempotency-Key with the same order, changing nothing twice', async () => {
    const itemId = await createItem(5);
    const first = await order(itemId, 'retry-key-1');
    const second = await order(itemId, 'retry-key-1');
    expect(second).toEqual(first);
    await settledOrder(first.json.orderId);
    await waitFor(async () => ((await notificationsFor([first.json.orderId])).length === 1 ? true : undefined), 'the notification');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await api('GET', `/items/${itemId}`)).json.stock).toBe(4);
    expect(await notificationsFor([first.json.orderId])).toHaveLength(1);
    expect(await sentAbout([first.json.orderId])).toEqual([1]);
    // The same key with another request is refused rather than silently answered.
    const other = await api('POST', '/orders', { itemId, quantity: 2, customerEmail: 'ada@example.com' }, { 'idempotency-key': 'retry-key-1' });
    expect(other.status).toBe(409);
  });

  it('changes nothing twice when SQS delivers the same order.placed again', async () => {
    const itemId = await createItem(5);
    const { json } = await order(itemId);
    await settledOrder(json.orderId);
    const duplicate = {
      id: `order.placed:${json.orderId}`,
      type: 'order.placed',
      version: 1,
      occurredAt: new Date().toISOString(),
      source: 'items-api',
      data: { orderId: json.orderId, itemId, quantity: 1, customerEmail: 'ada@example.com' },
    };
    const url = await queueUrl(ORDERS_QUEUE);
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify(duplicate) }));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify(duplicate) }));
    await waitFor(async () => ((await inFlight(ORDERS_QUEUE)) === 0 ? true : undefined), 'the redeliveries to be consumed');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await api('GET', `/items/${itemId}`)).json.stock).toBe(4);
    expect(await notificationsFor([json.orderId])).toHaveLength(1);
    expect(await sentAbout([json.orderId])).toEqual([1]);
  });

  it('moves a malformed order.placed published to the topic into order-processor’s DLQ, and never shows order.placed to notifier', async () => {
    await sns.send(
      new PublishCommand({
        TopicArn: TOPIC_ARN,
        Message: JSON.stringify({ id: 'poison-1', type: 'order.placed', version: 1, data: { quantity: 'lots' } }),
        MessageAttributes: { type: { DataType: 'String', StringValue: 'order.placed' } },
      }),
    );
    const dead = await waitFor(async () => {
      const bodies = await receiveAll(ORDERS_DLQ);
      return bodies.length > 0 ? bodies : undefined;
    }, 'the poison message in the DLQ', 60_000);
    expect(dead.map((body) => JSON.parse(body).id)).toContain('poison-1');
    // notifier's filter policy never let the order.placed events through: nothing failed there.
    expect(await receiveAll(NOTIFIER_DLQ)).toEqual([]);
    expect((await scan(NOTIFICATIONS_TABLE)).filter((n) => n.eventType === 'order.placed')).toEqual([]);
  });

  it('keeps stock at or above zero on every item', async () => {
    const items = (await scan(ITEMS_TABLE)).filter((row) => row.sk === 'ITEM');
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) expect(item.stock).toBeGreaterThanOrEqual(0);
  });
});
