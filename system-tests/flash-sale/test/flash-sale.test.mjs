// A bounded flash sale through the whole saga: 100 orders at once on one item
// with stock 50 in 4 counter shards; exactly 50 confirmed, 50 refused
// OUT_OF_STOCK, one reservation row per order. On the stack a test run shares
// when it was started with these settings (tools/local-stack/with-stack.mjs
// --env LOCAL_SQS_RETRY_SECONDS=1 --env STOCK_SHARDS=4), otherwise on a stack
// of its own. A record that fails (a busy machine's timeout) comes back after
// 1 s rather than its queue's 36 s visibility timeout.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startLocalStack } from '@platform/local-stack/process';
import { describeFlashSale, runFlashSale } from '../lib/flash-sale.mjs';

/** @type {import('@platform/local-stack/process').RunningStack} */
let stack;

before(async () => {
  stack = await startLocalStack({ env: { LOCAL_SQS_RETRY_SECONDS: '1', STOCK_SHARDS: '4' } });
});

after(() => stack?.stop());

test('100 concurrent orders on stock 50 in 4 shards: exactly 50 confirmed, the rest refused, never oversold', { timeout: 120_000 }, async () => {
  const result = await runFlashSale({ apiUrl: stack.apiUrl, dynamodbEndpoint: stack.dynamodbEndpoint, orders: 100, stock: 50, timeoutMs: 60_000 });
  assert.deepEqual(result.violations, [], describeFlashSale(result));
  assert.equal(result.stockShards, 4);
  assert.deepEqual([result.confirmed, result.rejected, result.stockAfter, result.reservationRows], [50, { OUT_OF_STOCK: 50 }, 0, 100]);
});
