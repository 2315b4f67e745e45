import { entityKey, type Table } from '@platform/dynamo';
import { ConflictError } from '@platform/errors';
import { notificationFor, type Notification, type OrderOutcomeEvent } from './message';

/** Where notifications go: in AWS, the notifications topic that email/SMS subscribers hang off. */
export interface NotificationChannel {
  readonly name: string;
  send(notification: Notification): Promise<void>;
}

/**
 * A claim older than this belongs to a delivery that died mid-send. Longer
 * than the function timeout (6 s), shorter than the queue's visibility
 * timeout (36 s), so the next receive of such a message can send.
 */
export const CLAIM_TIMEOUT_MS = 30_000;

export const notificationKey = (eventId: string) => entityKey('NOTIFICATION', eventId);

export type NotifyResult = 'SENT' | 'DUPLICATE';

/** Two deliveries of one event are being handled at once; this one fails and is retried later. */
export class NotificationInProgressError extends Error {
  constructor(eventId: string) {
    super(`The notification for event ${eventId} is being sent by another delivery`);
    this.name = 'NotificationInProgressError';
  }
}

/**
 * Sends one notification per event, recorded in the notifications table
 * keyed by event id. A delivery first claims the event (conditional put),
 * sends, then marks it SENT; a redelivered event finds SENT and sends
 * nothing. A failed send releases the claim, so the retry sends. Only a
 * delivery that dies between send and mark, and whose claim then times out,
 * can cause a second send: at-least-once, never silently none.
 */
export class Notifier {
  constructor(
    private readonly table: Table,
    private readonly channel: NotificationChannel,
    private readonly now: () => number = Date.now,
  ) {}

  async notify(event: OrderOutcomeEvent): Promise<NotifyResult> {
    const key = notificationKey(event.id);
    const notification = notificationFor(event);
    const claimedAt = this.now();
    try {
      await this.table.put({
        Item: {
          ...key,
          eventId: event.id,
          eventType: event.type,
          orderId: event.data.orderId,
          channel: this.channel.name,
          ...notification,
          status: 'SENDING',
          claimedAt,
        },
        ConditionExpression: 'attribute_not_exists(pk) OR (#status = :sending AND claimedAt < :stale)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':sending': 'SENDING', ':stale': claimedAt - CLAIM_TIMEOUT_MS },
      });
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      const existing = await this.table.get<{ status: string }>(key, true);
      if (existing?.status === 'SENT') return 'DUPLICATE';
      throw new NotificationInProgressError(event.id);
    }

    try {
      await this.channel.send(notification);
    } catch (error) {
      await this.releaseClaim(key, claimedAt);
      throw error;
    }
    await this.table.update({
      Key: key,
      UpdateExpression: 'SET #status = :sent, sentAt = :sentAt',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':sent': 'SENT', ':sentAt': new Date(this.now()).toISOString() },
    });
    return 'SENT';
  }

  /** Gives up this delivery's claim after a failed send, so the next delivery can send at once. */
  private async releaseClaim(key: ReturnType<typeof notificationKey>, claimedAt: number): Promise<void> {
    await this.table
      .delete({
        Key: key,
        ConditionExpression: '#status = :sending AND claimedAt = :claimedAt',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':sending': 'SENDING', ':claimedAt': claimedAt },
      })
      // Someone else's claim by now, or already gone: either way not ours to release.
      .catch((error: unknown) => {
        if (!(error instanceof ConflictError)) throw error;
      });
  }
}
