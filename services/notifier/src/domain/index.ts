export { notificationFor, type Notification, type OrderOutcomeEvent } from './message';
export {
  CLAIM_TIMEOUT_MS,
  NotificationInProgressError,
  Notifier,
  type ClaimResult,
  type NotificationChannel,
  type NotificationRecord,
  type NotificationStore,
  type NotifyResult,
} from './notifier';
