// The per-function concurrency cap: at most N tasks at once, the rest waiting
// in a bounded FIFO queue, a waiter that gives up leaving it, and a slot
// always given back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createConcurrencyLimit, ThrottledError } from '../lambda/concurrency-limit.mjs';

/** A promise with its resolve and reject at hand. */
const deferred = () => {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

/** Lets every pending promise callback run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/**
 * Tasks that each wait for the test to finish them; `started` lists them in
 * the order they started, `running` and `maxRunning` count them.
 */
const createTasks = () => {
  const started = [];
  const gates = new Map();
  const state = { running: 0, maxRunning: 0 };
  const task = (id) => async () => {
    state.running += 1;
    state.maxRunning = Math.max(state.maxRunning, state.running);
    started.push(id);
    const gate = deferred();
    gates.set(id, gate);
    try {
      return await gate.promise;
    } finally {
      state.running -= 1;
    }
  };
  const finish = async (id, value = id) => {
    gates.get(id).resolve(value);
    await settle();
  };
  return { task, finish, started, state };
};

describe('createConcurrencyLimit', () => {
  it('refuses a limit that is not a whole number ≥ 0', () => {
    for (const limit of [-1, 1.5, Number.NaN, '2', undefined]) {
      assert.throws(() => createConcurrencyLimit({ name: 'fn', limit, queueLimit: 10 }), /fn: the concurrency limit must be a whole number ≥ 0/);
    }
  });

  it('never runs more than its limit at once, and runs every task', async () => {
    const limit = createConcurrencyLimit({ name: 'fn', limit: 2, queueLimit: 100 });
    const { task, finish, started, state } = createTasks();
    const results = Array.from({ length: 10 }, (_, id) => limit.run(task(id)));
    await settle();
    assert.deepEqual(started, [0, 1]);
    assert.deepEqual(limit.stats(), { running: 2, waiting: 8 });
    for (let id = 0; id < 10; id += 1) {
      await finish(id);
      assert.ok(state.running <= 2);
    }
    assert.deepEqual(await Promise.all(results), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(state.maxRunning, 2);
    assert.deepEqual(limit.stats(), { running: 0, waiting: 0 });
    assert.equal(limit.limit, 2);
  });

  it('starts waiting tasks in the order they came, whichever slot frees up', async () => {
    const limit = createConcurrencyLimit({ name: 'fn', limit: 2, queueLimit: 100 });
    const { task, finish, started } = createTasks();
    const results = ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => limit.run(task(id)));
    await settle();
    await finish('b');
    await finish('a');
    await finish('d');
    await finish('c');
    await finish('e');
    await finish('f');
    await Promise.all(results);
    assert.deepEqual(started, ['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('throttles once the queue is full, and takes waiters again once it has room', async () => {
    const limit = createConcurrencyLimit({ name: 'orders-local-place', limit: 1, queueLimit: 2 });
    const { task, finish, started } = createTasks();
    const accepted = [1, 2, 3].map((id) => limit.run(task(id)));
    await settle();
    let ran = false;
    await assert.rejects(
      limit.run(async () => {
        ran = true;
      }),
      (error) => {
        assert.ok(error instanceof ThrottledError);
        assert.equal(error.name, 'ThrottledError');
        assert.equal(error.message, 'orders-local-place is throttled: 1 invocations running and 2 waiting');
        return true;
      },
    );
    assert.equal(ran, false);
    await finish(1);
    const fourth = limit.run(task(4));
    await settle();
    assert.deepEqual(limit.stats(), { running: 1, waiting: 2 });
    await finish(2);
    await finish(3);
    await finish(4);
    assert.deepEqual(await Promise.all([...accepted, fourth]), [1, 2, 3, 4]);
    assert.deepEqual(started, [1, 2, 3, 4]);
  });

  it('with a queue limit of 0, throttles whatever finds every slot taken', async () => {
    const limit = createConcurrencyLimit({ name: 'fn', limit: 1, queueLimit: 0 });
    const { task, finish } = createTasks();
    const first = limit.run(task(1));
    await settle();
    await assert.rejects(limit.run(task(2)), ThrottledError);
    await finish(1);
    assert.equal(await first, 1);
  });

  it('with a limit of 0 (reserved concurrency 0), throttles every task without running it', async () => {
    const limit = createConcurrencyLimit({ name: 'fn', limit: 0, queueLimit: 100 });
    let ran = 0;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await assert.rejects(
        limit.run(async () => {
          ran += 1;
        }),
        { name: 'ThrottledError', message: 'fn is throttled: its reserved concurrency is 0' },
      );
    }
    assert.equal(ran, 0);
    assert.deepEqual(limit.stats(), { running: 0, waiting: 0 });
  });

  it('lets a waiter whose signal aborts leave the queue, its task never run and no slot taken', async () => {
    const limit = createConcurrencyLimit({ name: 'fn', limit: 1, queueLimit: 100 });
    const { task, finish, started, state } = createTasks();
    const first = limit.run(task('first'));
    const controller = new AbortController();
    const leaving = limit.run(task('leaving'), controller.signal);
    const last = limit.run(task('last'));
    await settle();
    assert.deepEqual(limit.stats(), { running: 1, waiting: 2 });

    const reason = new Error('the client left');
    controller.abort(reason);
    await assert.rejects(leaving, (error) => error === reason);
    assert.deepEqual(limit.stats(), { running: 1, waiting: 1 });

    await finish('first');
    assert.deepEqual(started, ['first', 'last']);
    assert.deepEqual(limit.stats(), { running: 1, waiting: 0 });
    await finish('last');
    assert.deepEqual(await Promise.all([first, last]), ['first', 'last']);
    assert.deepEqual(limit.stats(), { running: 0, waiting: 0 });
    assert.equal(state.maxRunning, 1);
  });

  it('turns away a waiter whose signal has already aborted', async () => {
    const limit = createConcurrencyLimit({ name: 'fn', limit: 1, queueLimit: 100 });
    const { task, finish } = createTasks();
    const first = limit.run(task(1));
    await assert.rejects(limit.run(task(2), AbortSignal.abort()), { name: 'AbortError' });
    assert.deepEqual(limit.stats(), { running: 1, waiting: 0 });
    await settle();
    await finish(1);
    await first;
    assert.deepEqual(limit.stats(), { running: 0, waiting: 0 });
  });

  it('ignores a signal that aborts once its task has a slot: the task runs to its end', async () => {
    const limit = createConcurrencyLimit({ name: 'fn', limit: 1, queueLimit: 100 });
    const { task, finish, started } = createTasks();
    const first = limit.run(task(1));
    const controller = new AbortController();
    const second = limit.run(task(2), controller.signal);
    await settle();
    await finish(1);
    assert.deepEqual(started, [1, 2]);
    controller.abort();
    await settle();
    assert.deepEqual(limit.stats(), { running: 1, waiting: 0 });
    await finish(2);
    assert.deepEqual(await Promise.all([first, second]), [1, 2]);
    assert.deepEqual(limit.stats(), { running: 0, waiting: 0 });
  });

  it('gives the slot of a task that throws or rejects back, to the next waiter', async () => {
    const limit = createConcurrencyLimit({ name: 'fn', limit: 1, queueLimit: 100 });
    const gate = deferred();
    const failing = limit.run(async () => {
      await gate.promise;
      throw new Error('rejected');
    });
    const throwing = limit.run(() => {
      throw new Error('thrown synchronously');
    });
    const next = limit.run(async () => 'next ran');
    await settle();
    assert.deepEqual(limit.stats(), { running: 1, waiting: 2 });
    gate.resolve();
    await assert.rejects(failing, { message: 'rejected' });
    await assert.rejects(throwing, { message: 'thrown synchronously' });
    assert.equal(await next, 'next ran');
    assert.deepEqual(limit.stats(), { running: 0, waiting: 0 });
  });
});
