// How a load is offered. Closed loop (http-client.mjs `limited`, autocannon in
// http-load.mjs): each client sends its next request once the previous one is
// answered, so a slow system lowers the offered rate. Open loop (here): send
// number i is due at i / rate seconds whatever became of the earlier ones, so
// a slow system cannot lower it, and the answers' latency is the system's own.
import { sleep } from './stats.mjs';

/**
 * Calls `send(i)` for i = 0 … count − 1, each at its due time, without waiting for the earlier
 * ones to finish; resolves with their results, in order, and how late each send was on its schedule.
 * @template T
 * @param {{ rate: number, count: number, send: (i: number) => Promise<T> }} options  rate: sends per second
 * @returns {Promise<{ results: T[], lags: number[] }>}  lags: ms behind schedule, per send
 */
export const openLoop = async ({ rate, count, send }) => {
  if (!(rate > 0) || !Number.isFinite(rate)) throw new Error(`an open loop needs a positive rate, got ${rate}`);
  const intervalMs = 1000 / rate;
  const start = performance.now();
  /** @type {number[]} */
  const lags = [];
  /** @type {Promise<T>[]} */
  const pending = [];
  for (let i = 0; i < count; i += 1) {
    const due = start + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 0.5) await sleep(wait);
    lags.push(Math.max(0, performance.now() - due));
    pending.push(send(i));
  }
  return { results: await Promise.all(pending), lags };
};
