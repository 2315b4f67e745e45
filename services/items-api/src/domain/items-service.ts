import { randomUUID } from 'node:crypto';
import { NotFoundError } from '@platform/errors';
import type { ItemImage } from './images';
import type { Item, ItemPatch, NewItem } from './item';

export const MAX_PAGE_SIZE = 100;

export interface ItemPage {
  items: Item[];
  /** Opaque; null on the last page. */
  nextCursor: string | null;
}

/**
 * Where items are kept. Updates and removals of a missing item throw NotFoundError; a stale version, ConflictError.
 * A removal keeps `deletedAt` with the delete, so `item.deleted` says when it happened, not when it was published.
 */
export interface ItemStore {
  create(item: Item): Promise<void>;
  get(id: string): Promise<Item | undefined>;
  list(limit: number, cursor?: string): Promise<ItemPage>;
  update(id: string, expectedVersion: number, changes: Omit<ItemPatch, 'expectedVersion'>): Promise<Item>;
  /** Returns the image the item had, for its file to go with it. */
  remove(id: string, deletedAt: string): Promise<{ image?: ItemImage }>;
}

/** The catalogue: items and their stock, with optimistic concurrency on every change. */
export class ItemsService {
  constructor(
    private readonly store: ItemStore,
    private readonly newId: () => string = randomUUID,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(input: NewItem): Promise<Item> {
    const at = this.now().toISOString();
    const item: Item = { id: this.newId(), ...input, version: 1, createdAt: at, updatedAt: at };
    await this.store.create(item);
    return item;
  }

  async get(id: string): Promise<Item> {
    const item = await this.store.get(id);
    if (!item) throw new NotFoundError(`Item ${id} not found`);
    return item;
  }

  /** Items in creation order, `limit` at a time; pass back `nextCursor` for the next page. */
  list(limit: number, cursor?: string): Promise<ItemPage> {
    return this.store.list(Math.min(limit, MAX_PAGE_SIZE), cursor);
  }

  update(id: string, { expectedVersion, ...changes }: ItemPatch): Promise<Item> {
    return this.store.update(id, expectedVersion, changes);
  }

  /** Removes the item; returns the image it had, whose file the caller deletes (ItemImages.forget). */
  remove(id: string): Promise<{ image?: ItemImage }> {
    return this.store.remove(id, this.now().toISOString());
  }
}
