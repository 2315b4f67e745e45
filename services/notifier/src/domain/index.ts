export { notificationFor, type Notification, type OrderOutcomeEvent } from './message';
export {
  CLAIM_TIMEOUT_MS,
  NOTIFICATION_RETENTION_DAYS,
  NotificationInProgressError,
  NotificationMismatchError,
  Notifier,
  SAME_NOTIFICATION_FIELDS,
  sameNotification,
  type ClaimResult,
  type NotificationChannel,
  type NotificationRecord,
  type NotificationStore,
  type NotifyResult,
} from './notifier';
