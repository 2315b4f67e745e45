import { correlationAssignment, TransactionCancelledError, type Table } from '@platform/dynamo';
import { ConflictError } from '@platform/errors';
import { noSuchItem, type ImageRecords, type ItemImage } from '../domain';
import { DELETED_AT, itemKey, uploadSlotKey } from './items-table';

const epochSeconds = (date: Date) => Math.floor(date.getTime() / 1000);

/**
 * Item images in the items table: the image on the item's row, and each
 * pending upload in a slot row beside it (`UPLOAD#<n>`), which holds the
 * upload's image id until its form expires (`expiresAt`, also the table's TTL
 * attribute, so DynamoDB removes forgotten slots). The outbox reads neither
 * slot rows (no event) nor anything but the item's row.
 */
export class DynamoImageRecords implements ImageRecords {
  constructor(private readonly table: Table) {}

  async claimUploadSlot({ itemId, imageId, slots, expiresAt, now }: Parameters<ImageRecords['claimUploadSlot']>[0]) {
    for (let slot = 0; slot < slots; slot += 1) {
      try {
        // The item must exist (and not be going) as the slot is taken: one transaction.
        await this.table.transactWrite([
          {
            ConditionCheck: {
              TableName: this.table.name,
              Key: itemKey(itemId),
              ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#deletedAt)',
              ExpressionAttributeNames: { '#deletedAt': DELETED_AT },
            },
          },
          {
            Put: {
              TableName: this.table.name,
              Item: { ...uploadSlotKey(itemId, slot), imageId, expiresAt: epochSeconds(expiresAt) },
              ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
              ExpressionAttributeValues: { ':now': epochSeconds(now) },
            },
          },
        ]);
        return { slot };
      } catch (error) {
        if (!(error instanceof TransactionCancelledError)) throw error;
        if (error.failedCondition(0)) throw noSuchItem(itemId);
        if (!error.failedCondition(1)) throw error;
        // Taken: try the next slot.
      }
    }
    // Every slot holds a form that has not expired: the latest frees by then (or sooner, once processed).
    return { freeAt: expiresAt };
  }

  async releaseUploadSlot(itemId: string, slot: number, imageId: string): Promise<void> {
    try {
      await this.table.delete({ Key: uploadSlotKey(itemId, slot), ConditionExpression: 'imageId = :imageId', ExpressionAttributeValues: { ':imageId': imageId } });
    } catch (error) {
      // Gone, or already holding another upload (this one's form expired first): nothing of this upload's to free.
      if (!(error instanceof ConflictError)) throw error;
    }
  }

  async recordImage(itemId: string, image: ItemImage): ReturnType<ImageRecords['recordImage']> {
    const flow = correlationAssignment();
    try {
      const old = await this.table.update<{ image?: ItemImage }>(
        {
          Key: itemKey(itemId),
          // Image ids are time-ordered (UUIDv7, by grant): only a later grant's image replaces one.
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#deletedAt) AND (attribute_not_exists(#image) OR #image.#id < :imageId)',
          UpdateExpression: `SET #image = :image, version = version + :one, updatedAt = :now${flow.clause}`,
          ExpressionAttributeNames: { '#image': 'image', '#id': 'id', '#deletedAt': DELETED_AT },
          ExpressionAttributeValues: { ':image': image, ':imageId': image.id, ':one': 1, ':now': new Date().toISOString(), ...flow.values },
        },
        'UPDATED_OLD',
      );
      return { outcome: 'recorded', ...(old.image && { replaced: old.image }) };
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
    // Why not: read the row as it is now.
    const row = await this.table.get<{ image?: ItemImage; [DELETED_AT]?: string }>(itemKey(itemId), true);
    if (!row || row[DELETED_AT] !== undefined) return { outcome: 'item-gone' };
    if (row.image?.id === image.id) return { outcome: 'already-recorded' };
    return { outcome: 'superseded' };
  }
}
