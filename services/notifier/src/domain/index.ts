export { notificationFor, type Notification, type OrderOutcomeEvent } from './message';
export {
  CLAIM_TIMEOUT_MS,
  NotificationInProgressError,
  notificationKey,
  Notifier,
  type NotificationChannel,
  type NotifyResult,
} from './notifier';
