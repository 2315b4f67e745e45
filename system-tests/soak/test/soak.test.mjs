// The bounded soak: 60 orders over 5 items (one deleted mid-run) on a stack of
// its own, every invariant of `npm run soak` checked.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startLocalStack } from '@platform/local-stack/process';
import { isShapedServerError, runSoak } from '../lib/soak.mjs';

describe('the shape of a client-visible failure', () => {
  /** @param {number} status @param {unknown} json @returns {import('@platform/bench/lib/http-client').Answer} */
  const answer = (status, json) => ({ status, json, isJson: json !== undefined, text: JSON.stringify(json ?? ''), ms: 1, timedOut: false });
  it('accepts API Gateway’s bodies and the API’s error shape, nothing else', () => {
    assert.ok(isShapedServerError(answer(500, { message: 'Internal Server Error' })));
    assert.ok(isShapedServerError(answer(503, { error: { code: 'SERVICE_UNAVAILABLE', message: 'x' } })));
    assert.ok(!isShapedServerError(answer(500, undefined)));
    assert.ok(!isShapedServerError(answer(502, { stack: 'x' })));
    assert.ok(!isShapedServerError(answer(202, { message: 'x' })));
  });
});

describe('a bounded soak', { timeout: 240_000 }, () => {
  /** @type {import('@platform/local-stack/process').RunningStack | undefined} */
  let stack;
  before(async () => {
    stack = await startLocalStack();
  });
  after(async () => {
    await stack?.stop();
  });

  it('keeps every invariant over 60 orders, restocks, a delete and retried keys', async () => {
    assert.ok(stack, 'the stack started');
    const { figures, violations } = await runSoak({ ...stack, orders: 60, items: 5, seed: 20261127 });
    assert.deepEqual(violations, []);
    assert.equal(figures.lost, 0);
    assert.equal(figures.duplicates, 0);
    assert.equal(figures.accepted, 60);
    assert.equal(figures.deletes, 1);
    assert.ok(figures.restocks > 0, 'no restock happened');
    assert.ok(figures.idempotentRetries > 0, 'no Idempotency-Key was retried');
    assert.ok(figures.confirmed > 0, 'nothing was confirmed');
  });
});
