// A plain node:http client for the requests the bench makes one by one
// (setup, the cold burst, pipeline submissions). It never throws for a bad
// answer: a benchmark has to count failures, not stop at the first one.
import http from 'node:http';
import { msSince } from './stats.mjs';

/**
 * @typedef {{
 *   status: number,
 *   text: string,
 *   json: any,
 *   isJson: boolean,
 *   ms: number,
 *   timedOut: boolean,
 *   retryAfter?: string,
 *   requestId?: string,
 *   error?: string,
 * }} Answer
 */

/** Keep-alive and no socket cap, so N concurrent requests really are N connections. */
export const createAgent = () => new http.Agent({ keepAlive: true, maxSockets: Infinity });

/**
 * @param {{
 *   baseUrl: string, method: string, path: string, body?: unknown,
 *   headers?: Record<string, string>, timeoutMs?: number, agent?: http.Agent,
 * }} options
 * @returns {Promise<Answer>}
 */
export const request = ({ baseUrl, method, path, body, headers = {}, timeoutMs = 30_000, agent }) =>
  new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    let settled = false;
    /** @param {Partial<Answer>} answer */
    const finish = (answer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ status: 0, text: '', json: undefined, isJson: false, timedOut: false, ...answer, ms: msSince(started) });
    };
    const req = http.request(new URL(path, baseUrl), {
      method,
      agent,
      headers: { accept: 'application/json', ...(payload && { 'content-type': 'application/json', 'content-length': payload.length }), ...headers },
    });
    // A deadline on the whole exchange, not on socket idleness: a server that
    // trickles bytes must still count as timed out.
    const timer = setTimeout(() => {
      finish({ timedOut: true, error: `no complete answer within ${timeoutMs} ms` });
      req.destroy();
    }, timeoutMs);
    req.on('error', (error) => finish({ error: /** @type {any} */ (error).code ?? error.message }));
    req.on('response', (res) => {
      /** @type {Buffer[]} */
      const chunks = [];
      res.on('data', (/** @type {Buffer} */ chunk) => chunks.push(chunk));
      res.on('error', (error) => finish({ status: res.statusCode ?? 0, error: error.message }));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        let isJson = false;
        try {
          json = JSON.parse(text);
          isJson = true;
        } catch {
          // counted by the caller as a non-JSON answer
        }
        const { 'retry-after': retryAfter, 'apigw-requestid': requestId } = res.headers;
        finish({ status: res.statusCode ?? 0, text, json, isJson, ...(retryAfter !== undefined && { retryAfter }), ...(typeof requestId === 'string' && { requestId }) });
      });
    });
    req.end(payload);
  });

/** A 2xx answer whose body is JSON: the only kind the API should ever give. @param {Answer} answer */
export const isGood = (answer) => answer.status >= 200 && answer.status < 300 && answer.isJson;

/**
 * Runs `tasks` with at most `limit` in flight.
 * @template T
 * @param {number} limit
 * @param {Array<() => Promise<T>>} tasks
 * @returns {Promise<T[]>}
 */
export const limited = async (limit, tasks) => {
  /** @type {T[]} */
  const results = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, tasks.length) }, async () => {
      while (next < tasks.length) {
        const index = next++;
        results[index] = await /** @type {() => Promise<T>} */ (tasks[index])();
      }
    }),
  );
  return results;
};

/**
 * How long a client waits before its retry number `attempt` (from 0): `firstMs` doubling up to
 * `maxMs`. With the defaults (0.5 s to 8 s), 20 retries last about 2 minutes.
 * @param {number} attempt @param {{ firstMs?: number, maxMs?: number }} [options]
 */
export const backoffMs = (attempt, { firstMs = 500, maxMs = 8_000 } = {}) => Math.min(maxMs, firstMs * 2 ** attempt);
