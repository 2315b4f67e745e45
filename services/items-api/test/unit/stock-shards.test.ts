import { planTake } from '../../src/adapters/dynamo-reservation-store';
import { combined, firstShardFor, newShardRows, shareOf } from '../../src/adapters/stock-shards';

describe('counter shards, pure arithmetic', () => {
  it('splits a stock as evenly as it goes, the remainder on the first shards, and the shares add up', () => {
    expect([0, 1, 2, 3].map((shard) => shareOf(7, 4, shard))).toEqual([2, 2, 2, 1]);
    expect([0, 1, 2].map((shard) => shareOf(2, 3, shard))).toEqual([1, 1, 0]);
    for (const [total, shards] of [[0, 5], [1_000_000, 7], [13, 13], [12, 50]] as const) {
      expect(newShardRows('i', shards, total, 't').reduce((sum, row) => sum + row.stock, 0)).toBe(total);
    }
  });

  it('sends an order to the same shard every time, and spreads orders over all of them', () => {
    expect(firstShardFor('order-1', 8)).toBe(firstShardFor('order-1', 8));
    const counts = new Array<number>(8).fill(0);
    for (let i = 0; i < 8000; i += 1) counts[firstShardFor(`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, 8)]! += 1;
    for (const count of counts) expect(count).toBeGreaterThan(800);
  });

  it('takes from the fullest shards first, and plans nothing when all of them together hold too little', () => {
    expect(planTake([1, 3, 0, 2], 4)).toEqual([[1, 3], [3, 1]]);
    expect(planTake([1, 3, 0, 2], 6)).toEqual([[1, 3], [3, 2], [0, 1]]);
    expect(planTake([1, 3, 0, 2], 7)).toBeUndefined();
    expect(planTake([0, 0], 1)).toBeUndefined();
  });

  it('shows a sharded item as one: the shards’ stock added up, the row’s version plus their reservations, the latest time', () => {
    const row = { id: 'i', stock: 10, version: 3, updatedAt: '2026-01-01T00:00:00.000Z' };
    const shards = [
      { stock: 2, reservations: 1, updatedAt: '2026-01-02T00:00:00.000Z' },
      { stock: 4, reservations: 2, updatedAt: '2026-01-01T12:00:00.000Z' },
    ];
    expect(combined(row, shards)).toEqual({ id: 'i', stock: 6, version: 6, updatedAt: '2026-01-02T00:00:00.000Z' });
  });
});
