import { PENDING_SHARDS, pendingShardOf, pendingShards } from '../../src/adapters/orders-table';

describe('the pending index shards', () => {
  it('spreads orders over every shard, the same order always to the same one', () => {
    const ids = Array.from({ length: 200 }, (_, i) => `order-${i}`);
    const shards = new Set(ids.map(pendingShardOf));
    expect([...shards].sort()).toEqual(pendingShards());
    expect(pendingShards()).toHaveLength(PENDING_SHARDS);
    expect(pendingShardOf('order-7')).toBe(pendingShardOf('order-7'));
  });
});
