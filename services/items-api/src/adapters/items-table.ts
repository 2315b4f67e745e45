import { compositeKey, entityKey, GSI1 } from '@platform/dynamo';

// The rows of the items table. Only items-api reads or writes it.
export const ITEM = 'ITEM';
export const RESERVATION = 'RESERVATION';
/** One of the counter shards that hold a sharded item's stock (adapters/stock-shards.ts). */
export const STOCK_SHARD = 'STOCK';

/**
 * On an item row: the time of the delete under way (DynamoItemStore.remove), which the
 * stream's REMOVE carries to item.deleted. Row metadata, never part of an Item.
 */
export const DELETED_AT = 'deletedAt';

/**
 * On an item row: how many counter shards hold its stock (absent: the row holds it, the
 * single-row layout). Fixed when the item is created; row metadata, never part of an Item.
 */
export const STOCK_SHARDS = 'stockShards';

/** One of an item's pending-upload slots (adapters/dynamo-image-records.ts): a row beside the item's, expiring with its form. */
export const UPLOAD_SLOT = 'UPLOAD';

export const itemKey = (id: string) => entityKey(ITEM, id);
export const uploadSlotKey = (itemId: string, slot: number) => ({ pk: itemKey(itemId).pk, sk: compositeKey(UPLOAD_SLOT, slot) });
export const reservationKey = (orderId: string) => entityKey(RESERVATION, orderId);
/** Each shard has a partition key of its own: DynamoDB's per-partition limits apply to each apart. */
export const stockShardKey = (itemId: string, shard: number) => ({ pk: compositeKey(STOCK_SHARD, itemId, shard), sk: STOCK_SHARD });

/** Items are listed in creation order through gsi1. */
export const itemListingKey = (createdAt: string, id: string) => ({
  [GSI1.partition]: ITEM,
  [GSI1.sort]: compositeKey(createdAt, id),
});
