import { BatchGetCommand, TransactGetCommand } from '@aws-sdk/lib-dynamodb';
import { getDocumentClient, mappingErrors, TransactionCancelledError, type Table, type TableKey } from '@platform/dynamo';
import { itemKey, STOCK_SHARDS, stockShardKey } from './items-table';

/**
 * A hot item's stock, split over counter shards (docs/decisions/0011-hot-item-stock.md).
 *
 * One row holds at most 1,000 WCU/s (a partition key's limit), and each
 * reservation writes its item in a transaction (2 WCU), so an item whose stock
 * is on its own row takes at most 500 orders/s. A sharded item keeps its
 * catalogue fields on its row and its stock on `shards` rows, each with a
 * partition key of its own (`STOCK#<itemId>#<k>`): a reservation writes one
 * shard, not the item row, so the item takes `shards` times as many orders.
 *
 * A shard row holds `stock` (what is left in it) and `reservations` (how many
 * it took since the item's last catalogue change). What a client sees is the
 * sum: stock = Σ stock; version = the row's version + Σ reservations (each
 * reservation is a change, as it is on a single row, so a PATCH with the
 * version read before a reservation is still a 409); updatedAt = the latest.
 * A catalogue change writes the row and every shard in one transaction: it
 * folds the reservations into the row's version and sets them back to 0.
 */

/** The most shards an item may have: a reservation spread over every shard, plus its answer, fits one transaction (100 items). */
export const MAX_STOCK_SHARDS = 50;

export interface ShardRow {
  stock: number;
  reservations: number;
  updatedAt?: string;
}

/** The shards of an item row (1: the row holds the stock itself). */
export const shardCountOf = (row: Record<string, unknown>): number => {
  const count = row[STOCK_SHARDS];
  return typeof count === 'number' && count > 1 ? count : 1;
};

/** How `total` is split over `shards`: as evenly as it goes, the remainder on the first ones. */
export const shareOf = (total: number, shards: number, shard: number): number =>
  Math.floor(total / shards) + (shard < total % shards ? 1 : 0);

/** The shard an order tries first: spread evenly, and the same one when the order comes again. */
export const firstShardFor = (orderId: string, shards: number): number => {
  let hash = 0x811c9dc5; // FNV-1a, 32 bits
  for (let i = 0; i < orderId.length; i += 1) hash = Math.imul(hash ^ orderId.charCodeAt(i), 0x01000193) >>> 0;
  return hash % shards;
};

export const shardKeys = (itemId: string, shards: number): TableKey[] =>
  Array.from({ length: shards }, (_, shard) => stockShardKey(itemId, shard));

/** The rows that hold an item's stock at the start, for a create. */
export const newShardRows = (itemId: string, shards: number, stock: number, at: string) =>
  shardKeys(itemId, shards).map((key, shard) => ({ ...key, itemId, shard, stock: shareOf(stock, shards, shard), reservations: 0, updatedAt: at }));

/** What a client sees of a sharded item: its row's fields with the shards' stock, version and time folded in. */
export const combined = <T extends Record<string, unknown>>(row: T, shards: Array<ShardRow | undefined>): T => {
  let stock = 0;
  let reservations = 0;
  let updatedAt = String(row.updatedAt);
  for (const shard of shards) {
    if (!shard) continue; // only while a delete removes them with the row
    stock += shard.stock;
    reservations += shard.reservations;
    if (shard.updatedAt && shard.updatedAt > updatedAt) updatedAt = shard.updatedAt;
  }
  return { ...row, stock, version: Number(row.version) + reservations, updatedAt };
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The shards of several items, eventually consistent (as the item rows are read),
 * in one BatchGetItem per 100 keys; keys DynamoDB leaves unprocessed are asked again.
 * Returns the shard rows by key.
 */
export const readShards = async (table: Table, keys: TableKey[]): Promise<Map<string, ShardRow>> => {
  const found = new Map<string, ShardRow>();
  for (let start = 0; start < keys.length; start += 100) {
    let pending: Array<Record<string, unknown>> = keys.slice(start, start + 100) as unknown as Array<Record<string, unknown>>;
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      const request = { [table.name]: { Keys: pending } };
      const { Responses = {}, UnprocessedKeys = {} } = await mappingErrors(() => getDocumentClient().send(new BatchGetCommand({ RequestItems: request })));
      for (const row of Responses[table.name] ?? []) found.set(String(row.pk), row as ShardRow);
      pending = (UnprocessedKeys[table.name]?.Keys ?? []) as Array<Record<string, unknown>>;
      if (pending.length > 0) {
        if (attempt >= 8) throw new Error(`DynamoDB left ${pending.length} stock shard keys unprocessed ${attempt} times`);
        await sleep(10 * 2 ** attempt * Math.random());
      }
    }
  }
  return found;
};

/** A sharded item's row and shards, read in one TransactGetItems: a serializable snapshot, as of one instant. */
export interface StockSnapshot {
  row: Record<string, unknown>;
  shards: ShardRow[];
}

/**
 * The item row and its `shards` shard rows as of one instant (TransactGetItems:
 * no transaction on them is half seen). Undefined when the item does not
 * exist. Retried while a concurrent transaction on the same rows cancels it
 * (TransactionConflict; DynamoDB Local never reports one).
 */
export const stockSnapshot = async (table: Table, itemId: string, shards: number): Promise<StockSnapshot | undefined> => {
  const keys = [itemKey(itemId), ...shardKeys(itemId, shards)];
  for (let attempt = 1; ; attempt += 1) {
    try {
      const { Responses = [] } = await mappingErrors(() =>
        getDocumentClient().send(new TransactGetCommand({ TransactItems: keys.map((Key) => ({ Get: { TableName: table.name, Key } })) })),
      );
      const [row, ...rest] = Responses.map((response) => response.Item);
      if (!row) return undefined;
      return { row, shards: rest.map((shard) => (shard as ShardRow | undefined) ?? { stock: 0, reservations: 0 }) };
    } catch (error) {
      if (!(error instanceof TransactionCancelledError && error.retryable) || attempt >= 5) throw error;
      await sleep(25 * 2 ** attempt * Math.random());
    }
  }
};
