import { compositeKey, entityKey, GSI1 } from '@platform/dynamo';

// The rows of the items table. Only items-api reads or writes it.
export const ITEM = 'ITEM';
export const RESERVATION = 'RESERVATION';

/**
 * On an item row: the time of the delete under way (DynamoItemStore.remove), which the
 * stream's REMOVE carries to item.deleted. Row metadata, never part of an Item.
 */
export const DELETED_AT = 'deletedAt';

export const itemKey = (id: string) => entityKey(ITEM, id);
export const reservationKey = (orderId: string) => entityKey(RESERVATION, orderId);

/** Items are listed in creation order through gsi1. */
export const itemListingKey = (createdAt: string, id: string) => ({
  [GSI1.partition]: ITEM,
  [GSI1.sort]: compositeKey(createdAt, id),
});
