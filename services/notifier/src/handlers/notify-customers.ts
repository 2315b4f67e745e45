import { Table } from '@platform/dynamo';
import { requiredEnv } from '@platform/errors';
import { sqsEventHandler } from '@platform/handler-kit';
import { countMetric } from '@platform/observability';
import { DynamoNotificationStore } from '../adapters/dynamo-notification-store';
import { SnsNotificationChannel } from '../adapters/sns-channel';
import { Notifier } from '../domain';

let notifier: Notifier | undefined;

// Built on first use and kept for the container's life, so SDK clients are reused.
const getNotifier = (): Notifier =>
  (notifier ??= new Notifier(
    new DynamoNotificationStore(new Table(requiredEnv('NOTIFICATIONS_TABLE_NAME'))),
    new SnsNotificationChannel(requiredEnv('NOTIFICATIONS_TOPIC_ARN')),
  ));

export const ACCEPTED_EVENTS = ['order.confirmed', 'order.rejected'] as const;

export const handler = sqsEventHandler(ACCEPTED_EVENTS, async (event, { logger }) => {
  const result = await getNotifier().notify(event);
  if (result !== 'DUPLICATE') countMetric('NotificationsSent');
  if (result === 'SENT_UNRECORDED') {
    // Sent, but the record could not be marked SENT: a redelivery after the claim times out could send again.
    logger.error('notification sent but not recorded as SENT', { orderId: event.data.orderId, eventId: event.id });
    return;
  }
  logger.info(result === 'SENT' ? 'notification sent' : 'duplicate event, notification already sent', { orderId: event.data.orderId });
});
