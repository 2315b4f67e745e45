// The bounded soak: 60 orders over 5 items (one deleted mid-run) on a stack of
// its own, every invariant of `npm run soak` checked.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startLocalStack } from '@platform/local-stack/process';
import { isApiUnavailable, runSoak } from '../lib/soak.mjs';

describe('a client-visible failure', () => {
  /** @param {number} status @param {unknown} body @param {string} [retryAfter] */
  const failure = (status, body, retryAfter) => ({ status, body: JSON.stringify(body ?? ''), retryAfter });
  const unavailable = { error: { code: 'TEMPORARILY_UNAVAILABLE', message: 'The data store cannot be reached, try again' } };
  it('is acceptable only as the API’s 503 in its error shape with Retry-After: the function answered in time', () => {
    assert.ok(isApiUnavailable(failure(503, unavailable, '2')));
    assert.ok(!isApiUnavailable(failure(503, unavailable)), 'no Retry-After');
    assert.ok(!isApiUnavailable(failure(503, unavailable, 'soon')), 'Retry-After not in seconds');
    assert.ok(!isApiUnavailable(failure(500, { message: 'Internal Server Error' }, '2')), 'the gateway’s 500 of a timed-out function');
    assert.ok(!isApiUnavailable(failure(503, { message: 'Service Unavailable' }, '2')), 'the gateway’s own 503');
    assert.ok(!isApiUnavailable(failure(500, { error: { code: 'INTERNAL', message: 'x' } }, '2')));
    assert.ok(!isApiUnavailable({ status: 503, body: 'not json', retryAfter: '2' }));
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
