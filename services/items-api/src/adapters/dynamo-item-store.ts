import { correlationStamp, GSI1, KEY, withoutKeys, type CursorCodec, type Table } from '@platform/dynamo';
import { ConflictError, NotFoundError } from '@platform/errors';
import type { Item, ItemPage, ItemStore } from '../domain';
import { DELETED_AT, ITEM, itemKey, itemListingKey } from './items-table';

/** The item a row holds, without its keys and row metadata (a delete's stamp left by one that did not finish). */
const itemOf = (record: Record<string, unknown>): Item => {
  const { [DELETED_AT]: _unfinishedDelete, ...item } = withoutKeys<Record<string, unknown>>(record);
  return item as unknown as Item;
};

/**
 * Items in the items table. A create or update carries the flow's correlation
 * id (the request's), for the `item.*` event it becomes; a delete carries
 * none, so neither does `item.deleted`, but it records when it happened.
 */
export class DynamoItemStore implements ItemStore {
  constructor(
    private readonly table: Table,
    private readonly cursors: CursorCodec,
  ) {}

  async create(item: Item): Promise<void> {
    await this.table.createIfAbsent({ ...itemKey(item.id), ...itemListingKey(item.createdAt, item.id), ...item, ...correlationStamp() }, `Item ${item.id}`);
  }

  async get(id: string): Promise<Item | undefined> {
    const record = await this.table.get<Record<string, unknown>>(itemKey(id));
    return record && itemOf(record);
  }

  async list(limit: number, cursor?: string): Promise<ItemPage> {
    const page = await this.table.queryPage<Record<string, unknown>>({
      indexName: GSI1.name,
      partitionKeyName: GSI1.partition,
      partitionKeyValue: ITEM,
      limit,
      cursor,
      codec: this.cursors,
    });
    return { items: page.items.map(itemOf), nextCursor: page.nextCursor };
  }

  async update(id: string, expectedVersion: number, changes: Record<string, unknown>): Promise<Item> {
    const record = await this.table.updateWithVersion<Record<string, unknown>>({
      key: itemKey(id),
      expectedVersion,
      changes: { ...changes, ...correlationStamp() },
      label: `Item ${id}`,
    });
    return itemOf(record);
  }

  /**
   * A DeleteItem can write nothing, so the delete first stamps its time on the
   * row (no new version, so no item.updated), then deletes the row only if it
   * still has that stamp. The stream's REMOVE carries the time in its old
   * image to item.deleted, in the row's own stream order, after the item's
   * earlier changes (a separate tombstone row would be published in parallel
   * with them). A delete that stops between the two leaves the stamp on a live
   * item; reads drop it, and the next delete stamps its own.
   */
  async remove(id: string, deletedAt: string): Promise<void> {
    const key = itemKey(id);
    const notFound = (error: unknown) => {
      throw error instanceof ConflictError ? new NotFoundError(`Item ${id} not found`) : error;
    };
    const names = { '#deletedAt': DELETED_AT };
    const values = { ':deletedAt': deletedAt };
    await this.table
      .update({
        Key: key,
        UpdateExpression: 'SET #deletedAt = :deletedAt',
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: { ...names, '#pk': KEY.partition },
        ExpressionAttributeValues: values,
      })
      .catch(notFound);
    // Another delete of the item between the two restamped or removed it: that one is the delete.
    await this.table
      .delete({ Key: key, ConditionExpression: '#deletedAt = :deletedAt', ExpressionAttributeNames: names, ExpressionAttributeValues: values })
      .catch(notFound);
  }
}
