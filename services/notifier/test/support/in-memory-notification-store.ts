import { sameNotification, type ClaimResult, type NotificationRecord, type NotificationStore } from '../../src/domain';

type Row = NotificationRecord & { status: 'SENDING' | 'SENT'; claimedAt: number; sentAt?: string };

/** The notification store's contract, kept in memory: what the domain is unit-tested against. */
export class InMemoryNotificationStore implements NotificationStore {
  readonly rows = new Map<string, Row>();

  async claim(record: NotificationRecord, claimedAt: number, staleBefore: number): Promise<ClaimResult> {
    const existing = this.rows.get(record.eventId);
    if (existing && !sameNotification(existing, record)) return 'MISMATCH';
    if (existing?.status === 'SENT') return 'SENT';
    if (existing && existing.claimedAt >= staleBefore) return 'IN_PROGRESS';
    this.rows.set(record.eventId, { ...record, status: 'SENDING', claimedAt });
    return 'CLAIMED';
  }

  async markSent(eventId: string, sentAt: string) {
    const row = this.rows.get(eventId);
    if (row) this.rows.set(eventId, { ...row, status: 'SENT', sentAt });
  }

  async release(eventId: string, claimedAt: number) {
    const row = this.rows.get(eventId);
    // Like the DynamoDB store: the claim is made stale, not deleted.
    if (row?.status === 'SENDING' && row.claimedAt === claimedAt) this.rows.set(eventId, { ...row, claimedAt: 0 });
  }
}
