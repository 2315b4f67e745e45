import { entityKey, type Table } from '@platform/dynamo';
import { ConflictError } from '@platform/errors';
import { NOTIFICATION_RETENTION_DAYS, SAME_NOTIFICATION_FIELDS, sameNotification, type ClaimResult, type NotificationRecord, type NotificationStore } from '../domain';

/** The claimedAt of a released claim: older than any staleBefore, so the next claim takes it. */
export const RELEASED = 0;

export const notificationKey = (eventId: string) => entityKey('NOTIFICATION', eventId);

const ignoreConflict = (error: unknown) => {
  if (!(error instanceof ConflictError)) throw error;
};

export class DynamoNotificationStore implements NotificationStore {
  constructor(private readonly table: Table) {}

  async claim(record: NotificationRecord, claimedAt: number, staleBefore: number): Promise<ClaimResult> {
    const key = notificationKey(record.eventId);
    // A stale claim is taken over only by the same notification: a record is never rewritten to say something else.
    const same = SAME_NOTIFICATION_FIELDS.map((field) => `#${field} = :${field}`).join(' AND ');
    try {
      await this.table.put({
        Item: { ...key, ...record, status: 'SENDING', claimedAt, expiresAt: Math.floor(claimedAt / 1000) + NOTIFICATION_RETENTION_DAYS * 86_400 },
        ConditionExpression: `attribute_not_exists(pk) OR (#status = :sending AND claimedAt < :stale AND ${same})`,
        ExpressionAttributeNames: { '#status': 'status', ...Object.fromEntries(SAME_NOTIFICATION_FIELDS.map((field) => [`#${field}`, field])) },
        ExpressionAttributeValues: {
          ':sending': 'SENDING',
          ':stale': staleBefore,
          ...Object.fromEntries(SAME_NOTIFICATION_FIELDS.map((field) => [`:${field}`, record[field]])),
        },
      });
      return 'CLAIMED';
    } catch (error) {
      ignoreConflict(error);
      const existing = await this.table.get<Partial<NotificationRecord> & { status: string }>(key, true);
      if (existing && !sameNotification(existing, record)) return 'MISMATCH';
      return existing?.status === 'SENT' ? 'SENT' : 'IN_PROGRESS';
    }
  }

  async markSent(eventId: string, sentAt: string): Promise<void> {
    await this.table.update({
      Key: notificationKey(eventId),
      UpdateExpression: 'SET #status = :sent, sentAt = :sentAt',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':sent': 'SENT', ':sentAt': sentAt },
    });
  }

  /**
   * Makes the claim stale (claimedAt 0) with a conditional UpdateItem rather
   * than deleting it: the next delivery's claim takes a stale claim over, and
   * the role needs no dynamodb:DeleteItem.
   */
  async release(eventId: string, claimedAt: number): Promise<void> {
    await this.table
      .update({
        Key: notificationKey(eventId),
        UpdateExpression: 'SET claimedAt = :released',
        ConditionExpression: '#status = :sending AND claimedAt = :claimedAt',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':sending': 'SENDING', ':claimedAt': claimedAt, ':released': RELEASED },
      })
      // Someone else's claim by now, or already gone: either way not ours to release.
      .catch(ignoreConflict);
  }
}
