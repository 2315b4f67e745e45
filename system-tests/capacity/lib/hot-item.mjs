// The DynamoDB calls the order saga makes on a hot item's partitions, per
// order, in each stock layout (services/items-api/src/adapters/
// dynamo-reservation-store.ts), as capacity units per partition key for the
// partition model in @platform/capacity. docs/capacity.md derives N from them.
//
// Units (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/provisioned-capacity-mode.html,
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-capacity-handling):
// a standard write is 1 WCU per KB, a transactional one 2; a strongly consistent
// read 1 RCU per 4 KB, an eventually consistent one 0.5, a transactional one 2.
// A write to a row a global secondary index projects is also a write to the index,
// on the index's partition key (1 WCU per KB: the index is updated after the
// transaction, as a standard write).

/** The keys of the model, named as the items table names its rows. */
export const ITEM_ROW = 'items:ITEM#hot';
export const ITEM_INDEX = 'items/gsi1:ITEM';
/** @param {number} shard */
export const shardKey = (shard) => `items:STOCK#hot#${shard}`;
/** @param {number} index */
const reservationKey = (index) => `items:RESERVATION#order-${index}`;

/**
 * What one order that gets stock takes, by layout.
 * - 1 shard (the single-row layout): one TransactWriteItems: Update of the item
 *   row (stock - q, version + 1) and Put of the reservation row; the row's change
 *   also reaches gsi1, whose partition key is `ITEM` for every item of the catalogue.
 * - N shards: one TransactWriteItems: Update of the order's shard (a row of its
 *   own, with a partition key of its own, not in gsi1) and Put of the reservation row.
 *   The shard is the order id's hash modulo N: uniform; drawn at random here
 *   (`spread: 'random'`, as hashes of random order ids fall), or dealt in turn
 *   (`'even'`, the expectation, for the analytic ceiling).
 * @param {{ shards: number, itemKb?: number, spread?: 'random' | 'even' }} layout  itemKb: the item row's size, rounded up to whole KB
 * @returns {(index: number, random: () => number) => import('@platform/capacity/lib/partitions').Use[]}
 */
export const reservationUses =
  ({ shards, itemKb = 1, spread = 'random' }) =>
  (index, random) =>
    shards === 1
      ? [
          { key: ITEM_ROW, writeUnits: 2 * itemKb },
          { key: reservationKey(index), writeUnits: 2 },
          { key: ITEM_INDEX, writeUnits: itemKb },
        ]
      : [
          { key: shardKey(spread === 'even' ? index % shards : Math.floor(random() * shards)), writeUnits: 2 },
          { key: reservationKey(index), writeUnits: 2 },
        ];

/**
 * What one order refused OUT_OF_STOCK takes (after the sell-out, every order).
 * - 1 shard: the transaction, cancelled by its condition on the item row (the
 *   model charges a cancelled transaction as if it ran, 2 WCU per KB on each row:
 *   the conservative assumption),
 *   a strongly consistent GetItem of the row (1 RCU) and the refusal's Put (1 WCU).
 * - N shards: the transaction on its shard, cancelled (2 WCU there and on the
 *   reservation row); a TransactGetItems of the row and every shard (2 RCU
 *   each: the snapshot a refusal is decided on); the refusal's Put (1 WCU).
 * @param {{ shards: number, itemKb?: number }} layout
 * @returns {(index: number, random: () => number) => import('@platform/capacity/lib/partitions').Use[]}
 */
export const refusalUses =
  ({ shards, itemKb = 1 }) =>
  (index, random) =>
    shards === 1
      ? [
          { key: ITEM_ROW, writeUnits: 2 * itemKb, readUnits: Math.ceil(itemKb / 4) },
          { key: reservationKey(index), writeUnits: 2 + 1 },
        ]
      : [
          { key: shardKey(Math.floor(random() * shards)), writeUnits: 2 },
          { key: ITEM_ROW, readUnits: 2 * Math.ceil(itemKb / 4) },
          ...Array.from({ length: shards }, (_, shard) => ({ key: shardKey(shard), readUnits: 2 })),
          { key: reservationKey(index), writeUnits: 2 + 1 },
        ];

/**
 * What one GET /items/{id} takes: the row, eventually consistent (0.5 RCU per
 * 4 KB); a sharded item's shards too, in one BatchGetItem (0.5 RCU each).
 * @param {{ shards: number, itemKb?: number }} layout
 * @returns {() => import('@platform/capacity/lib/partitions').Use[]}
 */
export const itemReadUses =
  ({ shards, itemKb = 1 }) =>
  () => [
    { key: ITEM_ROW, readUnits: 0.5 * Math.ceil(itemKb / 4) },
    ...(shards === 1 ? [] : Array.from({ length: shards }, (_, shard) => ({ key: shardKey(shard), readUnits: 0.5 }))),
  ];
