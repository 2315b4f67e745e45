import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyticCeiling, createPartitions, DYNAMODB_PARTITION_LIMITS, simulatePartitions } from '../lib/partitions.mjs';

test('a key takes up to its limit at once (one second of burst), then its limit a second, and a throttled request takes nothing', () => {
  const partitions = createPartitions(DYNAMODB_PARTITION_LIMITS);
  const write = [{ key: 'hot', writeUnits: 400 }];
  assert.equal(partitions.tryTake(write, 0), true);
  assert.equal(partitions.tryTake(write, 0), true);
  assert.equal(partitions.tryTake(write, 0), false); // 200 left
  assert.equal(partitions.tryTake([{ key: 'hot', writeUnits: 200 }], 0), true); // the throttled one took nothing
  assert.equal(partitions.tryTake([{ key: 'hot', writeUnits: 1 }], 0), false);
  assert.equal(partitions.tryTake([{ key: 'hot', writeUnits: 500 }], 500), true); // refilled at 1,000 WCU/s
  assert.equal(partitions.tryTake([{ key: 'hot', writeUnits: 1001 }], 60_000), false); // never more than one second's worth
  assert.equal(partitions.tryTake([{ key: 'hot', readUnits: 3000 }], 60_000), true); // reads have their own 3,000 RCU/s
});

test('a request is taken whole or not at all (a transaction over two keys)', () => {
  const partitions = createPartitions(DYNAMODB_PARTITION_LIMITS);
  assert.equal(partitions.tryTake([{ key: 'a', writeUnits: 1000 }], 0), true);
  assert.equal(partitions.tryTake([{ key: 'b', writeUnits: 2 }, { key: 'a', writeUnits: 2 }], 0), false);
  assert.equal(partitions.tryTake([{ key: 'b', writeUnits: 1000 }], 0), true); // b gave nothing to the throttled one
});

test('the analytic ceiling is the first key to reach its limit', () => {
  const oneKey = analyticCeiling(() => [{ key: 'item', writeUnits: 2 }, { key: 'index', writeUnits: 1 }]);
  assert.deepEqual(oneKey, { perSecond: 500, key: 'item', unit: 'write', unitsPerRequest: 2 });
  const spread = analyticCeiling((index) => [{ key: `shard-${index % 4}`, writeUnits: 2 }, { key: `row-${index}`, writeUnits: 2 }]);
  assert.equal(spread.perSecond, 2000);
  const reads = analyticCeiling(() => [{ key: 'item', readUnits: 0.5 }]);
  assert.equal(reads.perSecond, 6000);
});

test('offered more than a key takes, the simulation sustains the ceiling and throttles the rest; offered less, it takes everything', () => {
  const hot = { name: 'orders', perSecond: 2000, uses: () => [{ key: 'item', writeUnits: 2 }] };
  const over = simulatePartitions({ streams: [hot], seconds: 10 }).streams.orders;
  assert.ok(over);
  // 1 s of burst, then 500 a second: (1000 + 9 × 1000) / 2 / 10 s, give or take the retries' timing.
  assert.ok(over.completedPerSecond > 480 && over.completedPerSecond <= 550, String(over.completedPerSecond));
  assert.ok(over.failed > 0 && over.throttledAttempts > over.failed);
  const under = simulatePartitions({ streams: [{ ...hot, perSecond: 400 }], seconds: 10 }).streams.orders;
  assert.deepEqual(under && [under.completed, under.failed, under.throttledAttempts], [4000, 0, 0]);
});

test('the same seed gives the same run', () => {
  const stream = { name: 's', perSecond: 3000, uses: (/** @type {number} */ _i, /** @type {() => number} */ random) => [{ key: `k${Math.floor(random() * 3)}`, writeUnits: 1 }] };
  assert.deepEqual(simulatePartitions({ streams: [stream], seconds: 3, seed: 7 }), simulatePartitions({ streams: [stream], seconds: 3, seed: 7 }));
});
