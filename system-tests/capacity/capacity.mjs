#!/usr/bin/env node
// The capacity plan's numbers (docs/capacity.md): each limit's binding order rate
// for one item, and the partition model's flash sale, single row against shards.
//   npm exec -- node system-tests/capacity/capacity.mjs [--shards 1,4,8] [--item-kb 1] [--seconds 10]
import { parseArgs } from 'node:util';
import { ceilings, simulateFlashSale } from './lib/ceilings.mjs';

const { values } = parseArgs({ options: { shards: { type: 'string', default: '1,4,8' }, 'item-kb': { type: 'string', default: '1' }, seconds: { type: 'string', default: '10' } } });
const layouts = values.shards.split(',').map(Number);
const itemKb = Number(values['item-kb']);
const seconds = Number(values.seconds);
const rate = (/** @type {number} */ value) => (Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '∞');

for (const shards of layouts) {
  console.log(`\n${shards === 1 ? 'Single row (stock on the item row)' : `${shards} stock shards`}: where each limit binds, orders/s on one item, lowest first`);
  for (const row of ceilings({ shards, itemKb })) console.log(`  ${rate(row.ordersPerSecond).padStart(7)}  ${row.limit} (${row.quota}): ${row.how}`);
}

console.log(`\nPartition model: a flash sale on one item, ${seconds} s, every order getting stock, SDK retries on throttling`);
console.log('  layout        offered/s  taken/s (whole window)  steady/s (after 1 s)  analytic/s  throttled attempts  failed after 3 attempts');
for (const shards of layouts) {
  const analytic = ceilingsOf(shards);
  for (const offered of [Math.round(analytic / 2), analytic * 2]) {
    const run = simulateFlashSale({ shards, offered, seconds, itemKb });
    console.log(`  ${(shards === 1 ? 'single row' : `${shards} shards`).padEnd(12)} ${rate(offered).padStart(10)} ${rate(run.completedPerSecond).padStart(23)} ${rate(run.steadyPerSecond).padStart(21)} ${rate(run.analytic).padStart(11)} ${String(run.throttledAttempts).padStart(19)} ${String(run.failed).padStart(24)}`);
  }
}

/** @param {number} shards */
function ceilingsOf(shards) {
  return simulateFlashSale({ shards, offered: 1, seconds: 1, itemKb }).analytic;
}
