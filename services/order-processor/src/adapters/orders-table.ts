import { createHash } from 'node:crypto';
import { entityKey } from '@platform/dynamo';

// The rows of the orders table. Only order-processor reads or writes it.
export const ORDER = 'ORDER';
export const IDEMPOTENCY = 'IDEMPOTENCY';

export const orderKey = (id: string) => entityKey(ORDER, id);
export const idempotencyKey = (key: string) => entityKey(IDEMPOTENCY, key);

/**
 * The sparse index of PENDING orders (serverless.yml, OrdersTable): an order
 * row carries `pendingShard` from its creation until its decision REMOVEs it,
 * so the index holds only the orders still waiting, sorted by `createdAt`.
 * The partition key is spread over PENDING_SHARDS values by a hash of the
 * order id: one value would put every order write on one index partition
 * (about 1,000 writes/s at most); the sweep queries each shard.
 */
export const PENDING_INDEX = { name: 'pending', partition: 'pendingShard', sort: 'createdAt' } as const;
export const PENDING_SHARDS = 4;

export const pendingShards = (): string[] => Array.from({ length: PENDING_SHARDS }, (_, shard) => `PENDING#${shard}`);
export const pendingShardOf = (orderId: string): string =>
  `PENDING#${(createHash('sha256').update(orderId).digest().readUInt32BE(0) % PENDING_SHARDS).toString()}`;
