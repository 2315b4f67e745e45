import { correlationStamp, GSI1, withoutKeys, type CursorCodec, type Table } from '@platform/dynamo';
import type { Item, ItemPage, ItemStore } from '../domain';
import { ITEM, itemKey, itemListingKey } from './items-table';

/**
 * Items in the items table. A create or update carries the flow's correlation
 * id (the request's), for the `item.*` event it becomes; a delete writes
 * nothing, so `item.deleted` carries none.
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
    return record && withoutKeys<Item>(record);
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
    return { items: page.items.map((record) => withoutKeys<Item>(record)), nextCursor: page.nextCursor };
  }

  async update(id: string, expectedVersion: number, changes: Record<string, unknown>): Promise<Item> {
    const record = await this.table.updateWithVersion<Record<string, unknown>>({
      key: itemKey(id),
      expectedVersion,
      changes: { ...changes, ...correlationStamp() },
      label: `Item ${id}`,
    });
    return withoutKeys<Item>(record);
  }

  async remove(id: string): Promise<void> {
    await this.table.deleteExisting(itemKey(id), `Item ${id}`);
  }
}
