import { randomUUID } from 'node:crypto';
import { GSI1, compositeKey, withoutKeys, type CursorCodec, type Page, type Table } from '@platform/dynamo';
import { NotFoundError } from '@platform/errors';
import type { Item, ItemPatch, NewItem } from './item';
import { ITEM, itemKey } from './keys';

export const MAX_PAGE_SIZE = 100;

/** The catalogue: items and their stock, with optimistic concurrency on every change. */
export class ItemsService {
  constructor(
    private readonly table: Table,
    private readonly cursors: CursorCodec,
    private readonly newId: () => string = randomUUID,
  ) {}

  async create(input: NewItem): Promise<Item> {
    const now = new Date().toISOString();
    const item: Item = { id: this.newId(), ...input, version: 1, createdAt: now, updatedAt: now };
    await this.table.createIfAbsent(
      { ...itemKey(item.id), [GSI1.partition]: ITEM, [GSI1.sort]: compositeKey(now, item.id), ...item },
      `Item ${item.id}`,
    );
    return item;
  }

  async get(id: string): Promise<Item> {
    const record = await this.table.get<Record<string, unknown>>(itemKey(id));
    if (!record) throw new NotFoundError(`Item ${id} not found`);
    return withoutKeys<Item>(record);
  }

  /** Items in creation order, `limit` at a time; pass back `nextCursor` for the next page. */
  async list(limit: number, cursor?: string): Promise<Page<Item>> {
    const page = await this.table.queryPage<Record<string, unknown>>({
      indexName: GSI1.name,
      partitionKeyName: GSI1.partition,
      partitionKeyValue: ITEM,
      limit: Math.min(limit, MAX_PAGE_SIZE),
      cursor,
      codec: this.cursors,
    });
    return { items: page.items.map((record) => withoutKeys<Item>(record)), nextCursor: page.nextCursor };
  }

  async update(id: string, { expectedVersion, ...changes }: ItemPatch): Promise<Item> {
    const record = await this.table.updateWithVersion<Record<string, unknown>>({
      key: itemKey(id),
      expectedVersion,
      changes,
      label: `Item ${id}`,
    });
    return withoutKeys<Item>(record);
  }

  async remove(id: string): Promise<void> {
    await this.table.deleteExisting(itemKey(id), `Item ${id}`);
  }
}
