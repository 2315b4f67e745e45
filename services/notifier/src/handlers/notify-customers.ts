import { Table } from '@platform/dynamo';
import { requiredEnv } from '@platform/errors';
import { sqsEventHandler } from '@platform/handler-kit';
import { Notifier } from '../domain';
import { SnsNotificationChannel } from './sns-channel';

let notifier: Notifier | undefined;

const getNotifier = (): Notifier => {
  notifier ??= new Notifier(
    new Table(requiredEnv('NOTIFICATIONS_TABLE_NAME')),
    new SnsNotificationChannel(requiredEnv('NOTIFICATIONS_TOPIC_ARN')),
  );
  return notifier;
};

export const ACCEPTED_EVENTS = ['order.confirmed', 'order.rejected'] as const;

export const handler = sqsEventHandler(ACCEPTED_EVENTS, async (event, { logger }) => {
  const result = await getNotifier().notify(event);
  logger.info(result === 'SENT' ? 'notification sent' : 'duplicate event, notification already sent', {
    orderId: event.data.orderId,
  });
});
