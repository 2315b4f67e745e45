import { Table } from '@platform/dynamo';
import { buildEvent } from '@platform/events';
import { confirmed, notifierBehaviour } from '../support/notifier-behaviour';
import { captureOutput, createCapturedTopic, sqsEvent, type CapturedTopic, serviceTableForFile } from '@platform/testing';
import type { Context } from 'aws-lambda';
import { DynamoNotificationStore, notificationKey } from '../../src/adapters/dynamo-notification-store';
import { SnsNotificationChannel } from '../../src/adapters/sns-channel';
import { Notifier } from '../../src/domain';
// The handler reads its configuration on first use, so the test can set it first.
import { handler } from '../../src/handlers/notify-customers';

// Against DynamoDB Local (notifier's own table definition) and a real SNS topic.
// The handler's log lines and metrics are read here (the emulator setup turns them down elsewhere).
process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
process.env.POWERTOOLS_METRICS_DISABLED = 'false';
const testTable = serviceTableForFile('notifier', 'NotificationsTable', (name) => new Table(name));
let topic: CapturedTopic;

beforeAll(async () => {
  topic = await createCapturedTopic();
});

describe('Notifier on DynamoDB Local and SNS', () => {
  it('sends one notification through the channel and records it by event id', async () => {
    const notifier = new Notifier(new DynamoNotificationStore(testTable.table), new SnsNotificationChannel(topic.topicArn));
    const event = confirmed();
    await expect(notifier.notify(event)).resolves.toBe('SENT');
    const sent = await topic.published();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toContain(event.data.orderId);
    expect(await testTable.table.get(notificationKey(event.id), true)).toMatchObject({
      status: 'SENT',
      eventId: event.id,
      orderId: event.data.orderId,
      recipient: 'ada@example.com',
    });
  });
});

notifierBehaviour(() => new DynamoNotificationStore(testTable.table));

describe('notifyCustomers handler', () => {
  it('sends for confirmed and rejected orders and fails what it must not handle', async () => {
    process.env.NOTIFICATIONS_TABLE_NAME = testTable.name;
    process.env.NOTIFICATIONS_TOPIC_ARN = topic.topicArn;
    const ok = { ...confirmed(), correlationId: 'req-ok' };
    const rejected = buildEvent('order.rejected', 'order-processor', { ...confirmed().data, reason: 'OUT_OF_STOCK' }, { id: 'order.rejected:r1', correlationId: 'req-rejected' });
    const placed = buildEvent('order.placed', 'order-processor', { ...confirmed().data });
    const event = sqsEvent(ok, rejected, placed, '{"id":"x"}');
    const output = captureOutput();
    const response = await handler(event, { awsRequestId: 'r', functionName: 'notifyCustomers' } as Context).finally(() => output.restore());
    expect(response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(event.Records.slice(2).map((r) => r.messageId));
    // Each notification is logged in its order's flow, and counted.
    const sentLines = output.logs().filter((entry) => entry.message === 'notification sent');
    expect(sentLines.map((entry) => entry.correlationId).sort()).toEqual(['req-ok', 'req-rejected']);
    expect(output.metrics().map(({ name, value }) => [name, value])).toEqual([
      ['NotificationsSent', 2],
      ['RecordsFailed', 2],
    ]);
    const sent = await topic.published();
    expect(sent).toHaveLength(2);
    expect(sent.join('\n')).toMatch(/out of stock/);
  });
});
