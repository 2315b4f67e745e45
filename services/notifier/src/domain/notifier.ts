import { notificationFor, type Notification, type OrderOutcomeEvent } from './message';

/** Where notifications go: in AWS, the notifications topic that email/SMS subscribers hang off. */
export interface NotificationChannel {
  readonly name: string;
  send(notification: Notification): Promise<void>;
}

/** What is recorded about one event's notification. */
export interface NotificationRecord extends Notification {
  eventId: string;
  eventType: string;
  orderId: string;
  channel: string;
}

/** 'MISMATCH': a record for this event id exists and says something else (another recipient, order or message). */
export type ClaimResult = 'CLAIMED' | 'SENT' | 'IN_PROGRESS' | 'MISMATCH';

/** The fields a redelivery of the same event must repeat exactly. */
export const SAME_NOTIFICATION_FIELDS = ['eventType', 'orderId', 'recipient', 'subject', 'text'] as const;

/** True when `stored` is the record `record` would write: same event, same message, same recipient. */
export const sameNotification = (stored: Partial<NotificationRecord>, record: NotificationRecord): boolean =>
  SAME_NOTIFICATION_FIELDS.every((field) => stored[field] === record[field]);

/**
 * How long a notification record, and the email in it, is kept: long enough to
 * recognise any redelivery of its event (SQS keeps a message 4 days, its DLQ
 * 14, and a redrive starts the 4 days again), then DynamoDB's TTL deletes it.
 */
export const NOTIFICATION_RETENTION_DAYS = 30;

export interface NotificationStore {
  /**
   * Claims the event for one delivery, at `claimedAt` (epoch ms). 'SENT' when
   * it was sent already; 'IN_PROGRESS' when another delivery claimed it at or
   * after `staleBefore` and has not finished; 'MISMATCH' when the stored
   * record is not this one (sameNotification), whatever its state: it is
   * never overwritten. The record expires NOTIFICATION_RETENTION_DAYS after the claim.
   */
  claim(record: NotificationRecord, claimedAt: number, staleBefore: number): Promise<ClaimResult>;
  markSent(eventId: string, sentAt: string): Promise<void>;
  /** Gives up the claim made at `claimedAt`; a claim that is no longer that one is left alone. */
  release(eventId: string, claimedAt: number): Promise<void>;
}

/**
 * A claim older than this belongs to a delivery that died mid-send. Longer
 * than the function timeout (6 s), shorter than the queue's visibility
 * timeout (36 s), so the next receive of such a message can send.
 */
export const CLAIM_TIMEOUT_MS = 30_000;

/**
 * 'SENT_UNRECORDED': sent, but marking it SENT failed on every attempt. The
 * delivery still succeeds (a failed delivery would come back once the claim
 * is stale and send again); the record stays SENDING and the caller logs it.
 */
export type NotifyResult = 'SENT' | 'DUPLICATE' | 'SENT_UNRECORDED';

/** How often, and with what backoff, marking SENT is tried: 4 attempts, at most 0.35 s of waiting, well inside the 6 s timeout. */
export const MARK_SENT_ATTEMPTS = 4;
export const MARK_SENT_BASE_DELAY_MS = 50;

/** Two deliveries of one event are being handled at once; this one fails and is retried later. */
export class NotificationInProgressError extends Error {
  constructor(eventId: string) {
    super(`The notification for event ${eventId} is being sent by another delivery`);
    this.name = 'NotificationInProgressError';
  }
}

/**
 * A delivery whose event id was notified (or is being notified) with another
 * recipient, order or message: the stored record wins, nothing is sent, and
 * the message fails into the DLQ.
 */
export class NotificationMismatchError extends Error {
  constructor(eventId: string) {
    super(`Event ${eventId} disagrees with the notification recorded for it; not sent`);
    this.name = 'NotificationMismatchError';
  }
}

/**
 * Sends one notification per event, recorded by event id. A delivery first
 * claims the event, sends, then marks it SENT; a redelivered event finds
 * SENT and sends nothing. A failed send releases the claim, so the retry
 * sends. Marking SENT is idempotent and is retried with backoff (a throttled
 * write must not turn into a second send). After a successful send the claim
 * is never released and the delivery never fails: if marking SENT fails on
 * every attempt, the result is 'SENT_UNRECORDED' and SQS deletes the message.
 * Only a delivery that dies between send and mark, and whose claim then times
 * out, can cause a second send: at-least-once, never silently none.
 */
export class Notifier {
  constructor(
    private readonly store: NotificationStore,
    private readonly channel: NotificationChannel,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  async notify(event: OrderOutcomeEvent): Promise<NotifyResult> {
    const notification = notificationFor(event);
    const claimedAt = this.now();
    const record = { eventId: event.id, eventType: event.type, orderId: event.data.orderId, channel: this.channel.name, ...notification };
    const claim = await this.store.claim(record, claimedAt, claimedAt - CLAIM_TIMEOUT_MS);
    if (claim === 'MISMATCH') throw new NotificationMismatchError(event.id);
    if (claim === 'SENT') return 'DUPLICATE';
    if (claim === 'IN_PROGRESS') throw new NotificationInProgressError(event.id);

    try {
      await this.channel.send(notification);
    } catch (error) {
      await this.store.release(event.id, claimedAt);
      throw error;
    }
    return (await this.markSentRetrying(event.id)) ? 'SENT' : 'SENT_UNRECORDED';
  }

  /** True once the record says SENT; false when every attempt failed. Never throws: the send has happened. */
  private async markSentRetrying(eventId: string): Promise<boolean> {
    const sentAt = new Date(this.now()).toISOString();
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.store.markSent(eventId, sentAt);
        return true;
      } catch {
        // Any error: the update is idempotent, so trying again is always safe.
        if (attempt >= MARK_SENT_ATTEMPTS) return false;
        await this.sleep(MARK_SENT_BASE_DELAY_MS * 2 ** (attempt - 1) * (0.5 + Math.random() / 2));
      }
    }
  }
}
