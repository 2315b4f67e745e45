import { Table } from '@platform/dynamo';
import { sqsEventHandler } from '@platform/handler-kit';
import { Notifier } from '../domain';
import { SnsNotificationChannel } from './sns-channel';

let notifier: Notifier | undefined;

const getNotifier = (): Notifier => {
  if (!notifier) {
    const { NOTIFICATIONS_TABLE_NAME: tableName, NOTIFICATIONS_TOPIC_ARN: topicArn } = process.env;
    if (!tableName || !topicArn) throw new Error('NOTIFICATIONS_TABLE_NAME and NOTIFICATIONS_TOPIC_ARN must be set');
    notifier = new Notifier(new Table(tableName), new SnsNotificationChannel(topicArn));
  }
  return notifier;
};

export const ACCEPTED_EVENTS = ['order.confirmed', 'order.rejected'] as const;

export const handler = sqsEventHandler(ACCEPTED_EVENTS, async (event, { logger }) => {
  const result = await getNotifier().notify(event);
  logger.info(result === 'SENT' ? 'notification sent' : 'duplicate event, notification already sent', {
    orderId: event.data.orderId,
  });
});
