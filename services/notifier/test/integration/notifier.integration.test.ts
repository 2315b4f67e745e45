import { Table } from '@platform/dynamo';
import { buildEvent } from '@platform/events';
import { createCapturedTopic, createServiceTable, sqsEvent, type CapturedTopic, type TestTable } from '@platform/testing';
import type { Context } from 'aws-lambda';
import { CLAIM_TIMEOUT_MS, NotificationInProgressError, notificationKey, Notifier, type NotificationChannel } from '../../src/domain';
// The handler reads its configuration on first use, so the test can set it first.
import { handler } from '../../src/handlers/notify-customers';
import { SnsNotificationChannel } from '../../src/handlers/sns-channel';

// Against DynamoDB Local (notifier's own table definition) and a real SNS topic.
let testTable: TestTable;
let table: Table;
let topic: CapturedTopic;
let sequence = 0;

beforeAll(async () => {
  testTable = await createServiceTable('notifier', 'NotificationsTable');
  table = new Table(testTable.name);
  topic = await createCapturedTopic();
});

afterAll(() => testTable.drop());

const confirmed = () => {
  const orderId = `order-${(sequence += 1)}`;
  return buildEvent(
    'order.confirmed',
    'order-processor',
    { orderId, itemId: 'item-1', quantity: 2, customerEmail: 'ada@example.com' },
    { id: `order.confirmed:${orderId}` },
  );
};

describe('Notifier', () => {
  it('sends one notification through the channel and records it by event id', async () => {
    const notifier = new Notifier(table, new SnsNotificationChannel(topic.topicArn));
    const event = confirmed();
    await expect(notifier.notify(event)).resolves.toBe('SENT');
    const sent = await topic.published();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toContain(event.data.orderId);
    expect(await table.get(notificationKey(event.id), true)).toMatchObject({
      status: 'SENT',
      eventId: event.id,
      orderId: event.data.orderId,
      recipient: 'ada@example.com',
    });
  });

  it('does not send a redelivered event again', async () => {
    const notifier = new Notifier(table, new SnsNotificationChannel(topic.topicArn));
    const event = confirmed();
    await notifier.notify(event);
    await expect(notifier.notify(event)).resolves.toBe('DUPLICATE');
    await expect(notifier.notify({ ...event, occurredAt: new Date().toISOString() })).resolves.toBe('DUPLICATE');
    expect(await topic.published()).toHaveLength(1);
  });

  it('sends exactly once when two deliveries of one event race', async () => {
    const sent: string[] = [];
    const slowChannel: NotificationChannel = {
      name: 'test',
      send: async (notification) => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        sent.push(notification.subject);
      },
    };
    const notifier = new Notifier(table, slowChannel);
    const event = confirmed();
    const results = await Promise.allSettled([notifier.notify(event), notifier.notify(event)]);
    expect(sent).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof NotificationInProgressError)).toHaveLength(1);
    // The losing delivery is retried by SQS later and then finds the notification sent.
    await expect(notifier.notify(event)).resolves.toBe('DUPLICATE');
  });

  it('sends on the next delivery after a failed send', async () => {
    const event = confirmed();
    const failing = new Notifier(table, { name: 'test', send: () => Promise.reject(new Error('SMTP down')) });
    await expect(failing.notify(event)).rejects.toThrow('SMTP down');
    const sent: string[] = [];
    const notifier = new Notifier(table, { name: 'test', send: async (n) => void sent.push(n.subject) });
    await expect(notifier.notify(event)).resolves.toBe('SENT');
    expect(sent).toHaveLength(1);
  });

  it('retries a delivery that died after claiming, once its claim is stale', async () => {
    const event = confirmed();
    const dying = new Notifier(table, { name: 'test', send: () => new Promise(() => undefined) });
    void dying.notify(event); // claims, then never finishes sending
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(new Notifier(table, { name: 'test', send: async () => undefined }).notify(event)).rejects.toThrow(
      NotificationInProgressError,
    );
    const sent: string[] = [];
    const later = Date.now() + CLAIM_TIMEOUT_MS + 1;
    const notifier = new Notifier(table, { name: 'test', send: async (n) => void sent.push(n.subject) }, () => later);
    await expect(notifier.notify(event)).resolves.toBe('SENT');
    expect(sent).toHaveLength(1);
  });
});

describe('notifyCustomers handler', () => {
  it('sends for confirmed and rejected orders and fails what it must not handle', async () => {
    process.env.NOTIFICATIONS_TABLE_NAME = testTable.name;
    process.env.NOTIFICATIONS_TOPIC_ARN = topic.topicArn;
    const ok = confirmed();
    const rejected = buildEvent('order.rejected', 'order-processor', { ...confirmed().data, reason: 'OUT_OF_STOCK' }, { id: 'order.rejected:r1' });
    const placed = buildEvent('order.placed', 'items-api', { ...confirmed().data });
    const event = sqsEvent(ok, rejected, placed, '{"id":"x"}');
    const response = await handler(event, { awsRequestId: 'r', functionName: 'notifyCustomers' } as Context);
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(event.Records.slice(2).map((r) => r.messageId));
    const sent = await topic.published();
    expect(sent).toHaveLength(2);
    expect(sent.join('\n')).toMatch(/out of stock/);
  });
});
