#!/usr/bin/env node
// `npm run flash-sale`: 1,000 customers order one item with stock 500 at once,
// through the whole saga, on a local stack of its own (free ports) per layout;
// exactly 500 must be confirmed. Each layout is the item's stock layout: 1, the
// item's row holds it (the single-row path); N, N counter shards
// (docs/decisions/0011-hot-item-stock.md). DynamoDB Local never throttles, so
// this proves correctness under concurrency, not AWS throughput: the partition
// model (system-tests/capacity/capacity.mjs) gives that.
//   --orders 1000   --stock 500   --shards 1,8 (one run per layout, in order)
// Exit code 0 when every check held in every run, 1 when one did not, 2 on a usage or setup error.
import { parseArgs } from 'node:util';
import { startLocalStack } from '@platform/local-stack/process';
import { describeFlashSale, runFlashSale } from './lib/flash-sale.mjs';

const usage = 'usage: npm run flash-sale -- [--orders 1000] [--stock 500] [--shards 1,8]';

const main = async () => {
  let values;
  try {
    ({ values } = parseArgs({ options: { orders: { type: 'string', default: '1000' }, stock: { type: 'string', default: '500' }, shards: { type: 'string', default: '1,8' } } }));
  } catch (error) {
    console.error(`${/** @type {Error} */ (error).message}\n${usage}`);
    return 2;
  }
  const [orders, stock] = [Number(values.orders), Number(values.stock)];
  const layouts = values.shards.split(',').map(Number);
  if (![orders, stock, ...layouts].every((n) => Number.isInteger(n) && n >= 0) || layouts.some((n) => n < 1 || n > 50)) {
    console.error(`--orders and --stock take whole numbers, --shards whole numbers from 1 to 50\n${usage}`);
    return 2;
  }
  let failed = false;
  for (const shards of layouts) {
    console.log(`\nStarting a local stack with STOCK_SHARDS=${shards}…`);
    const stack = await startLocalStack({ env: { STOCK_SHARDS: String(shards) } });
    try {
      console.log(`  ready in ${(stack.readyMs / 1000).toFixed(1)} s at ${stack.apiUrl}`);
      const result = await runFlashSale({ apiUrl: stack.apiUrl, dynamodbEndpoint: stack.dynamodbEndpoint, orders, stock, log: (line) => console.log(`  ${line}`) });
      console.log(describeFlashSale(result));
      // What the functions logged as going wrong meanwhile (a record failed and retried, say), counted by what it was.
      const trouble = troubleIn(stack.output());
      if (trouble.length > 0) console.log(`  the functions logged:\n${trouble.map((line) => `    ${line}`).join('\n')}`);
      if (result.stockShards !== shards) {
        console.log(`  VIOLATION: the item was created with ${result.stockShards} shard(s), not ${shards}`);
        failed = true;
      }
      failed ||= result.violations.length > 0;
    } catch (error) {
      // Why, from the stack: the gateway's line for each failed request says it (timed out, crashed, …).
      const failures = stack.output().split('\n').filter((line) => line.startsWith('[gateway]') && / → \S+ 5\d\d /.test(line));
      console.log(`  failed: ${/** @type {Error} */ (error).message}${failures.length > 0 ? `\n  the gateway's lines for the 5xx:\n${failures.slice(0, 5).map((line) => `    ${line}`).join('\n')}` : ''}`);
      failed = true;
    } finally {
      await stack.stop();
    }
  }
  return failed ? 1 : 0;
};

/**
 * The functions' WARN and ERROR log lines, counted by service, message and error.
 * @param {string} output  the stack's output
 */
const troubleIn = (output) => {
  /** @type {Map<string, number>} */
  const counts = new Map();
  for (const line of output.split('\n')) {
    const match = /^\[([\w-]+)\] (\{.*\})$/.exec(line);
    if (!match) continue;
    try {
      const entry = JSON.parse(/** @type {string} */ (match[2]));
      if (entry.level !== 'WARN' && entry.level !== 'ERROR') continue;
      const cause = entry.error ? `: ${entry.error.name} ${String(entry.error.message).slice(0, 200)}` : '';
      const key = `[${match[1]}] ${entry.level} ${entry.message}${cause}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    } catch {
      // not a function's JSON log line
    }
  }
  return [...counts].map(([key, count]) => `${key} ×${count}`);
};

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(2);
  },
);
