import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ceilings, SETTINGS, simulateFlashSale } from '../lib/ceilings.mjs';

const partitionRow = (/** @type {ReturnType<typeof ceilings>} */ rows) => rows.find((row) => row.limit.startsWith('DynamoDB partition, ') && row.limit.includes('(orders that get stock)'));

test('N, the orders a second one item takes: 1,000 WCU/s over 2 WCU a reservation on its row, times the shards', () => {
  assert.equal(partitionRow(ceilings({ shards: 1 }))?.ordersPerSecond, 500);
  assert.equal(partitionRow(ceilings({ shards: 1, itemKb: 3 }))?.ordersPerSecond, 1000 / 6); // a 3 KB item row: 6 WCU a transactional write
  for (const shards of [2, 4, 8, 16]) assert.equal(partitionRow(ceilings({ shards }))?.ordersPerSecond, 500 * shards);
});

test('the single row also binds the whole catalogue at 1,000 orders/s on gsi1 key ITEM; shards are not in the index', () => {
  assert.equal(ceilings({ shards: 1 }).find((row) => row.limit.includes('gsi1'))?.ordersPerSecond, 1000);
  assert.equal(ceilings({ shards: 4 }).find((row) => row.limit.includes('gsi1')), undefined);
});

test('the ceiling is the first limit to bind: the stage throttle as configured, then the consumer; with the stage and consumer raised, the partition', () => {
  assert.equal(ceilings({ shards: 1 })[0]?.ordersPerSecond, SETTINGS.stageRateLimit);
  const raised = { ...SETTINGS, stageRateLimit: 10_000, maximumConcurrency: 100 };
  assert.match(ceilings({ shards: 1, settings: raised })[0]?.limit ?? '', /^DynamoDB partition, the item row/);
  assert.equal(ceilings({ shards: 1, settings: raised })[0]?.ordersPerSecond, 500);
  // 8 shards: the reservations' partitions take 4,000/s; refusals after the sell-out (2 RCU a shard each) 1,500/s.
  const sharded = ceilings({ shards: 8, settings: raised });
  assert.deepEqual(sharded.slice(0, 2).map((row) => Math.round(row.ordersPerSecond)), [1500, 4000]);
});

test('the partition model sustains the analytic ceiling when offered twice as much, and throttles nothing at half of it', () => {
  for (const shards of [1, 4]) {
    const over = simulateFlashSale({ shards, offered: 1000 * shards, seconds: 6 });
    assert.ok(Math.abs(over.steadyPerSecond - over.analytic) / over.analytic < 0.03, `${shards} shard(s): ${over.steadyPerSecond} vs ${over.analytic}`);
    assert.ok(over.throttledAttempts > 0);
    const under = simulateFlashSale({ shards, offered: 250 * shards, seconds: 6 });
    assert.deepEqual([under.completed, under.throttledAttempts], [under.offered, 0]);
  }
});
