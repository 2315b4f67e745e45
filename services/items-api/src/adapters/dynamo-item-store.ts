import { correlationAssignment, correlationStamp, GSI1, KEY, TransactionCancelledError, withoutKeys, type CursorCodec, type Table, type TransactItems } from '@platform/dynamo';
import { ConflictError, NotFoundError, TemporarilyUnavailableError } from '@platform/errors';
import type { Item, ItemPage, ItemStore } from '../domain';
import { DELETED_AT, ITEM, itemKey, itemListingKey, STOCK_SHARDS, stockShardKey } from './items-table';
import { combined, MAX_STOCK_SHARDS, newShardRows, readShards, shardCountOf, shardKeys, shareOf, stockSnapshot } from './stock-shards';

/** The item a row holds, without its keys and row metadata (a delete's stamp left by one that did not finish, its shard count). */
const itemOf = (record: Record<string, unknown>): Item => {
  const { [DELETED_AT]: _unfinishedDelete, [STOCK_SHARDS]: _shards, ...item } = withoutKeys<Record<string, unknown>>(record);
  return item as unknown as Item;
};

/** The changes a PATCH makes (an undefined field is left as it is). */
const definedOf = (changes: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));

/** `SET #f0 = :f0, …` for each attribute, with its placeholders. */
const assignmentsOf = (attributes: Record<string, unknown>) => {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const assignments = Object.entries(attributes).map(([attribute, value], index) => {
    names[`#f${index}`] = attribute;
    values[`:f${index}`] = value;
    return `#f${index} = :f${index}`;
  });
  return { UpdateExpression: `SET ${assignments.join(', ')}`, ExpressionAttributeNames: names, ExpressionAttributeValues: values };
};

/** An update's expressions with more placeholders (for its condition). */
const withNamesAndValues = (update: ReturnType<typeof assignmentsOf>, names: Record<string, string>, values: Record<string, unknown>) => ({
  UpdateExpression: update.UpdateExpression,
  ExpressionAttributeNames: { ...update.ExpressionAttributeNames, ...names },
  ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ...values },
});

/** How many times a delete stamps the row again when another write restamped it between its stamp and its delete. */
const DELETE_ATTEMPTS = 3;
/** A delete's try that found the row restamped by another, and still there. */
const RESTAMPED = Symbol('restamped');

/** How many times a catalogue change of a sharded item reads it again when a reservation changed a shard meanwhile. */
const SHARDED_UPDATE_ATTEMPTS = 5;

export interface ItemStoreOptions {
  /**
   * How many counter shards hold the stock of the items this store creates
   * (1: the item's row holds it). An item keeps the layout it was created
   * with; reads and changes follow each item's own (adapters/stock-shards.ts).
   */
  stockShards?: number;
}

/**
 * Items in the items table. A create or update carries the flow's correlation
 * id (the request's), for the `item.*` event it becomes; a delete carries
 * none, so neither does `item.deleted`, but it records when it happened.
 */
export class DynamoItemStore implements ItemStore {
  private readonly stockShards: number;

  constructor(
    private readonly table: Table,
    private readonly cursors: CursorCodec,
    { stockShards = 1 }: ItemStoreOptions = {},
  ) {
    if (!Number.isInteger(stockShards) || stockShards < 1 || stockShards > MAX_STOCK_SHARDS) {
      throw new Error(`stockShards must be a whole number from 1 to ${MAX_STOCK_SHARDS}, got ${stockShards}`);
    }
    this.stockShards = stockShards;
  }

  async create(item: Item): Promise<void> {
    const row = { ...itemKey(item.id), ...itemListingKey(item.createdAt, item.id), ...item, ...correlationStamp() };
    if (this.stockShards === 1) {
      await this.table.createIfAbsent(row, `Item ${item.id}`);
      return;
    }
    // The row (with the stock it starts with, for item.created) and its shards, all or nothing.
    try {
      await this.table.transactWrite([
        { Put: { TableName: this.table.name, Item: { ...row, [STOCK_SHARDS]: this.stockShards }, ConditionExpression: 'attribute_not_exists(pk)' } },
        ...newShardRows(item.id, this.stockShards, item.stock, item.updatedAt).map((shard) => ({ Put: { TableName: this.table.name, Item: shard } })),
      ]);
    } catch (error) {
      if (error instanceof TransactionCancelledError && error.failedCondition(0)) throw new ConflictError(`Item ${item.id} already exists`, { cause: error });
      throw error;
    }
  }

  async get(id: string): Promise<Item | undefined> {
    const record = await this.table.get<Record<string, unknown>>(itemKey(id));
    return record && (await this.withShards([record]))[0];
  }

  /** Items as clients see them: a sharded item's stock, version and updatedAt come from its shards too. */
  private async withShards(records: Array<Record<string, unknown>>): Promise<Item[]> {
    const keys = records.flatMap((record) => (shardCountOf(record) > 1 ? shardKeys(String(record.id), shardCountOf(record)) : []));
    const shards = keys.length > 0 ? await readShards(this.table, keys) : new Map();
    return records.map((record) => {
      const count = shardCountOf(record);
      if (count === 1) return itemOf(record);
      return itemOf(combined(record, shardKeys(String(record.id), count).map((key) => shards.get(key.pk))));
    });
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
    return { items: await this.withShards(page.items), nextCursor: page.nextCursor };
  }

  async update(id: string, expectedVersion: number, changes: Record<string, unknown>): Promise<Item> {
    const now = new Date().toISOString();
    const next = { ...definedOf(changes), version: expectedVersion + 1, updatedAt: now, ...correlationStamp() };
    try {
      // The single-row layout: optimistic concurrency on the row's version. A sharded
      // item's row version is not its whole version: its change goes through its shards.
      const record = await this.table.update<Record<string, unknown>>({
        Key: itemKey(id),
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#shards) AND version = :expected',
        ...withNamesAndValues(assignmentsOf(next), { '#shards': STOCK_SHARDS }, { ':expected': expectedVersion }),
      });
      return itemOf(record);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      const row = await this.table.get<Record<string, unknown>>(itemKey(id), true);
      if (!row) throw new NotFoundError(`Item ${id} not found`);
      if (shardCountOf(row) === 1) throw new ConflictError(`Item ${id} is at version ${String(row.version)}, not ${expectedVersion}`, { cause: error });
      return this.updateSharded(id, shardCountOf(row), expectedVersion, changes);
    }
  }

  /**
   * A catalogue change of a sharded item, at the version a client saw (row +
   * reservations): one transaction writes the row, with the new fields, the
   * whole stock and the next version, and sets every shard's reservations
   * back to 0 (and its share of a new stock), on condition that neither the
   * row nor any shard changed since the snapshot. A reservation meanwhile
   * fails it; read again, the item is then at another version: a 409.
   */
  private async updateSharded(id: string, shards: number, expectedVersion: number, changes: Record<string, unknown>): Promise<Item> {
    for (let attempt = 1; attempt <= SHARDED_UPDATE_ATTEMPTS; attempt += 1) {
      const snapshot = await stockSnapshot(this.table, id, shards);
      if (!snapshot) throw new NotFoundError(`Item ${id} not found`);
      const current = combined(snapshot.row, snapshot.shards);
      if (current.version !== expectedVersion) throw new ConflictError(`Item ${id} is at version ${current.version}, not ${expectedVersion}`);
      const { stock: newStock, ...fields } = definedOf(changes);
      const stock = typeof newStock === 'number' ? newStock : Number(current.stock);
      const now = new Date().toISOString();
      const next = { ...fields, stock, version: expectedVersion + 1, updatedAt: now, ...correlationStamp() };
      const rowUpdate = assignmentsOf(next);
      const flow = correlationAssignment();
      const shardResets: TransactItems = snapshot.shards.map((shard, index) => ({
        Update: {
          TableName: this.table.name,
          Key: stockShardKey(id, index),
          UpdateExpression: `SET reservations = :zero, updatedAt = :now${typeof newStock === 'number' ? ', stock = :share' : ''}${flow.clause}`,
          ConditionExpression: 'attribute_exists(pk) AND reservations = :seen',
          ExpressionAttributeValues: {
            ':zero': 0,
            ':now': now,
            ':seen': shard.reservations,
            ...(typeof newStock === 'number' && { ':share': shareOf(newStock, shards, index) }),
            ...flow.values,
          },
        },
      }));
      try {
        await this.table.transactWriteRetrying([
          {
            Update: {
              TableName: this.table.name,
              Key: itemKey(id),
              ConditionExpression: 'attribute_exists(pk) AND version = :rowVersion',
              ...withNamesAndValues(rowUpdate, {}, { ':rowVersion': snapshot.row.version }),
            },
          },
          ...shardResets,
        ]);
        return itemOf({ ...snapshot.row, ...next });
      } catch (error) {
        if (!(error instanceof TransactionCancelledError && error.reasons.includes('ConditionalCheckFailed'))) throw error;
        // Changed since the snapshot: read again (a reservation or another change is a new version: 409).
      }
    }
    throw new ConflictError(`Item ${id} kept changing; read it again`);
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
  async remove(id: string, deletedAt: string): Promise<{ image?: Item['image'] }> {
    for (let attempt = 1; ; attempt += 1) {
      const removed = await this.stampAndDelete(id, deletedAt);
      if (removed !== RESTAMPED) return removed;
      // Restamped each time: deletes racing one another, or late writes of abandoned ones. Let the client try again.
      if (attempt >= DELETE_ATTEMPTS) throw new TemporarilyUnavailableError(`Item ${id} is being deleted by other requests; try again`);
    }
  }

  /**
   * One try of a delete: stamp, then delete the row if it still has this stamp.
   * When it does not, the row is read again: gone, another delete removed it (404);
   * still there, another delete restamped it and has not removed it yet, or the late
   * write of a delete that was given up on (a store that stalled) did: RESTAMPED,
   * never a 404 for an item that still exists.
   */
  private async stampAndDelete(id: string, deletedAt: string): Promise<{ image?: Item['image'] } | typeof RESTAMPED> {
    const key = itemKey(id);
    const notFound = (error: unknown) => {
      throw error instanceof ConflictError ? new NotFoundError(`Item ${id} not found`) : error;
    };
    const stillThere = async (): Promise<typeof RESTAMPED> => {
      if (!(await this.table.get(key, true))) throw new NotFoundError(`Item ${id} not found`);
      return RESTAMPED;
    };
    const names = { '#deletedAt': DELETED_AT };
    const values = { ':deletedAt': deletedAt };
    const stamped = await this.table
      .update<Record<string, unknown>>({
        Key: key,
        UpdateExpression: 'SET #deletedAt = :deletedAt',
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: { ...names, '#pk': KEY.partition },
        ExpressionAttributeValues: values,
      })
      .catch(notFound);
    // No image is recorded on a stamped row (DynamoImageRecords), so the stamped one is the last.
    const removed = { ...(stamped.image !== undefined && { image: stamped.image as Item['image'] }) };
    const shards = shardCountOf(stamped);
    if (shards === 1) {
      try {
        await this.table.delete({ Key: key, ConditionExpression: '#deletedAt = :deletedAt', ExpressionAttributeNames: names, ExpressionAttributeValues: values });
      } catch (error) {
        if (error instanceof ConflictError) return stillThere();
        throw error;
      }
      return removed;
    }
    // A sharded item goes with its shards, all or nothing: a reservation after it finds no shard (ITEM_NOT_FOUND).
    try {
      await this.table.transactWrite([
        { Delete: { TableName: this.table.name, Key: key, ConditionExpression: '#deletedAt = :deletedAt', ExpressionAttributeNames: names, ExpressionAttributeValues: values } },
        ...shardKeys(id, shards).map((shardKey) => ({ Delete: { TableName: this.table.name, Key: shardKey } })),
      ]);
    } catch (error) {
      if (error instanceof TransactionCancelledError && error.failedCondition(0)) return stillThere();
      throw error;
    }
    return removed;
  }
}
