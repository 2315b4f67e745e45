#!/usr/bin/env node
// `npm run soak`: orders through the whole saga on a local stack of its own,
// with concurrent restocks, deletes and Idempotency-Key retries, then every
// invariant checked against the tables (system-tests/soak/lib/soak.mjs).
//   --orders N   orders (default 1000)
//   --items N    items (default 50; a tenth of them, at least one, are deleted mid-run)
//   --seed S     the seed (default: a random one, printed)
// Exit code 0 when every invariant held, 1 when one did not, 2 on a usage or setup error.
import { parseArgs } from 'node:util';
import { startLocalStack } from '@platform/local-stack/process';

const usage = 'usage: npm run soak -- [--orders 1000] [--items 50] [--seed S]';

const main = async () => {
  const { values } = parseArgs({ options: { orders: { type: 'string' }, items: { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const orders = Number(values.orders ?? 1000);
  const items = Number(values.items ?? 50);
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
  if (![orders, items, seed].every(Number.isSafeInteger) || orders < 1 || items < 2) {
    console.error(usage);
    return 2;
  }
  const { runSoak } = await import('./lib/soak.mjs');
  const log = (/** @type {string} */ line) => console.log(`[soak ${new Date().toISOString().slice(11, 19)}] ${line}`);
  log(`seed ${seed}: ${orders} orders over ${items} items; starting a local stack`);
  let stack;
  try {
    stack = await startLocalStack();
  } catch (error) {
    console.error(`could not start the local stack: ${/** @type {Error} */ (error).message}`);
    return 2;
  }
  try {
    const { figures, violations } = await runSoak({ ...stack, orders, items, seed, log });
    const rejected = Object.entries(figures.rejectedBy).map(([reason, n]) => `${n} ${reason}`).join(', ') || 'none';
    console.log(
      [
        '',
        `orders             ${figures.orders} (${figures.accepted} accepted)`,
        `confirmed          ${figures.confirmed}`,
        `rejected           ${rejected}`,
        `notified           ${figures.notified}`,
        `restocks           ${figures.restocks}`,
        `deletes            ${figures.deletes}`,
        `idempotent retries ${figures.idempotentRetries}`,
        `lost               ${figures.lost}`,
        `duplicates         ${figures.duplicates}`,
        `negative stock     ${figures.negativeStock}`,
        `5xx / no answer    ${figures.serverErrors} (of them 503 + Retry-After, retried: ${figures.unavailable})`,
        `DLQ messages       ${Object.values(figures.dlq).reduce((a, b) => a + b, 0)}`,
        `HTTP statuses      ${JSON.stringify(figures.statuses)}`,
        `duration           ${(figures.durationMs / 1000).toFixed(1)} s (outcomes: ${figures.waited})`,
        `seed               ${seed}   replay: npm run soak -- --orders ${orders} --items ${items} --seed ${seed}`,
      ].join('\n'),
    );
    if (violations.length > 0) {
      console.log(`\n${violations.length} violation(s):\n${violations.slice(0, 50).map((v) => `  - ${v}`).join('\n')}`);
      return 1;
    }
    console.log('\nevery invariant held');
    return 0;
  } finally {
    await stack.stop();
  }
};

process.exitCode = await main().catch((error) => {
  console.error(error);
  return 2;
});
