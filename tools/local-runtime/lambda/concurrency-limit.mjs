// How many invocations of one function may run at once on this machine.
// serverless-offline starts a new worker thread (a cold start) for every
// concurrent invocation: unbounded, a burst of 100 requests means 100 cold
// starts fighting over 2 cores until they all time out. In AWS each of them
// would get its own machine. A small cap per function keeps a burst on a few
// warm workers (serverless-offline reuses an idle one), and what is over the
// cap waits its turn in a bounded FIFO queue, as Lambda's own scaling would
// make it wait for capacity rather than fail.

/** The function cannot take the invocation now: its queue is full, or its reserved concurrency is 0. */
export class ThrottledError extends Error {
  /** @param {string} functionName @param {string} reason */
  constructor(functionName, reason) {
    super(`${functionName} is throttled: ${reason}`);
    this.name = 'ThrottledError';
  }
}

/**
 * @param {{ name: string, limit: number, queueLimit: number }} options
 */
export const createConcurrencyLimit = ({ name, limit, queueLimit }) => {
  if (!Number.isInteger(limit) || limit < 0) throw new Error(`${name}: the concurrency limit must be a whole number ≥ 0, got ${limit}`);
  let running = 0;
  /** @type {Array<() => void>} */
  const waiting = [];

  /** @param {AbortSignal} [signal] @returns {Promise<void>} */
  const acquire = (signal) => {
    if (limit === 0) return Promise.reject(new ThrottledError(name, 'its reserved concurrency is 0'));
    if (running < limit) {
      running += 1;
      return Promise.resolve();
    }
    if (waiting.length >= queueLimit) {
      return Promise.reject(new ThrottledError(name, `${running} invocations running and ${waiting.length} waiting`));
    }
    return new Promise((/** @type {(value?: void) => void} */ resolve, reject) => {
      // The slot is handed over as it is released: `running` stays the same.
      const take = () => {
        signal?.removeEventListener('abort', leave);
        resolve();
      };
      const leave = () => {
        const index = waiting.indexOf(take);
        if (index >= 0) waiting.splice(index, 1);
        reject(signal?.reason);
      };
      if (signal?.aborted) return leave();
      signal?.addEventListener('abort', leave, { once: true });
      waiting.push(take);
      return undefined;
    });
  };

  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else running -= 1;
  };

  return {
    /**
     * Runs `task` once a slot is free; rejects with ThrottledError when the
     * queue is full, or with the signal's reason if it aborts while waiting.
     * @template T
     * @param {() => Promise<T>} task
     * @param {AbortSignal} [signal]
     * @returns {Promise<T>}
     */
    async run(task, signal) {
      await acquire(signal);
      try {
        return await task();
      } finally {
        release();
      }
    },
    limit,
    stats: () => ({ running, waiting: waiting.length }),
  };
};
