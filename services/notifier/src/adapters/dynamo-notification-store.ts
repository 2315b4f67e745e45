import { entityKey, type Table } from '@platform/dynamo';
import { ConflictError } from '@platform/errors';
import type { ClaimResult, NotificationRecord, NotificationStore } from '../domain';

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
    try {
      await this.table.put({
        Item: { ...key, ...record, status: 'SENDING', claimedAt },
        ConditionExpression: 'attribute_not_exists(pk) OR (#status = :sending AND claimedAt < :stale)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':sending': 'SENDING', ':stale': staleBefore },
      });
      return 'CLAIMED';
    } catch (error) {
      ignoreConflict(error);
      const existing = await this.table.get<{ status: string }>(key, true);
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
