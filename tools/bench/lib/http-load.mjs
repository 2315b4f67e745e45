// Closed-loop HTTP load with autocannon: `connections` clients, each sending
// its next request as soon as the previous answer arrives, for a fixed time.
// Every answer is classified here (2xx JSON, non-2xx, 2xx but not JSON) because
// a stack that fails by answering 200 with a stack trace must not look fast.
// Latencies are of good answers only (2xx with a JSON body).
import { createRequire } from 'node:module';
import { median, percentile } from './stats.mjs';

/**
 * What the bench uses of autocannon (it ships no types).
 * @typedef {{ method?: string, path?: string, body?: string, headers?: Record<string, string> }} AutocannonRequest
 * @typedef {{ url: string, connections: number, duration: number, timeout: number,
 *   requests: Array<{ setupRequest: (defaults: AutocannonRequest) => AutocannonRequest, onResponse: (status: number, body: string) => void }> }} AutocannonOptions
 * @typedef {{ duration: number, non2xx: number, errors: number, timeouts: number }} AutocannonResult
 * @typedef {Promise<AutocannonResult> & { on: (event: 'response', listener: (client: unknown, status: number, bytes: number, responseTime: number) => void) => void }} AutocannonInstance
 */
const require = createRequire(import.meta.url);
/** @type {(options: AutocannonOptions) => AutocannonInstance} */
const autocannon = require('autocannon');

/**
 * @typedef {{ method: string, path: string, body?: string, headers?: Record<string, string> }} LoadRequest
 * @typedef {{
 *   connections: number, runs: number, requests: number, rps: number, p50: number, p99: number,
 *   errors: number, non2xx: number, nonJson: number, socketErrors: number, timeouts: number,
 *   statuses: Record<string, number>, badSample?: string,
 * }} LevelResult
 */

/**
 * One timed run.
 * @param {{ baseUrl: string, connections: number, durationS: number, next: () => LoadRequest, timeoutS?: number }} options
 */
export const loadOnce = async ({ baseUrl, connections, durationS, next, timeoutS = 30 }) => {
  /** @type {Record<string, number>} */
  const statuses = {};
  let good = 0;
  let nonJson = 0;
  /** @type {string | undefined} */
  let badSample;
  // autocannon's histogram rounds to whole milliseconds, too coarse for a
  // bare function answering in ~1 ms; its 'response' event has the exact time.
  // onResponse (with the body) runs just before it for the same answer, so
  // `lastGood` says whether that answer counts.
  /** @type {number[]} */
  const latencies = [];
  let lastGood = false;
  const instance = autocannon({
    url: baseUrl,
    connections,
    duration: durationS,
    timeout: timeoutS,
    requests: [
      {
        setupRequest: (defaults) => ({ ...defaults, ...next() }),
        onResponse: (status, body) => {
          statuses[status] = (statuses[status] ?? 0) + 1;
          const is2xx = status >= 200 && status < 300;
          let json = false;
          try {
            JSON.parse(body);
            json = true;
          } catch {
            // a 200 carrying a stack trace lands here
          }
          lastGood = is2xx && json;
          if (lastGood) good += 1;
          else {
            if (is2xx) nonJson += 1;
            badSample ??= `${status} ${String(body).slice(0, 160).replace(/\s+/g, ' ')}`;
          }
        },
      },
    ],
  });
  instance.on('response', (_client, _status, _bytes, responseTime) => {
    if (lastGood) latencies.push(responseTime);
  });
  const result = await instance;
  const non2xx = result.non2xx;
  const socketErrors = result.errors - result.timeouts;
  return {
    requests: good + non2xx + nonJson,
    rps: good / result.duration,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    non2xx,
    nonJson,
    socketErrors,
    timeouts: result.timeouts,
    errors: non2xx + nonJson + result.errors,
    statuses,
    badSample,
  };
};

/**
 * A warm-up (discarded), then `runs` timed runs at one level; the figures are
 * medians across runs and the error counts are totals, so one bad run still shows.
 * With `cpu`, the CPU spent over the timed runs (not the warm-up) is measured
 * per request answered, and returned as `cpu`.
 * @param {{ baseUrl: string, connections: number, durationS: number, runs: number, warmupS: number,
 *   next: () => LoadRequest, onRun?: (run: number) => void,
 *   cpu?: { meter: import('./cpu.mjs').CpuMeter, id: string, what: string } }} options
 * @returns {Promise<LevelResult & { cpu?: import('./cpu.mjs').CpuPhase }>}
 */
export const loadLevel = async ({ baseUrl, connections, durationS, runs, warmupS, next, onRun, cpu }) => {
  if (warmupS > 0) await loadOnce({ baseUrl, connections, durationS: warmupS, next });
  /** @type {Awaited<ReturnType<typeof loadOnce>>[]} */
  const results = [];
  const cpuRun = cpu?.meter.start();
  for (let run = 1; run <= runs; run += 1) {
    onRun?.(run);
    results.push(await loadOnce({ baseUrl, connections, durationS, next }));
  }
  const sum = (/** @type {'requests'|'non2xx'|'nonJson'|'socketErrors'|'timeouts'|'errors'} */ key) => results.reduce((total, r) => total + r[key], 0);
  /** @type {Record<string, number>} */
  const statuses = {};
  for (const r of results) for (const [status, count] of Object.entries(r.statuses)) statuses[status] = (statuses[status] ?? 0) + count;
  return {
    connections,
    runs,
    requests: sum('requests'),
    rps: median(results.map((r) => r.rps)),
    p50: median(results.map((r) => r.p50)),
    p99: median(results.map((r) => r.p99)),
    errors: sum('errors'),
    non2xx: sum('non2xx'),
    nonJson: sum('nonJson'),
    socketErrors: sum('socketErrors'),
    timeouts: sum('timeouts'),
    statuses,
    badSample: results.find((r) => r.badSample)?.badSample,
    ...(cpu && cpuRun ? { cpu: cpuRun.stop({ id: cpu.id, what: cpu.what, unit: 'request', completed: sum('requests') }) } : {}),
  };
};

/** Cycles through `values`, one per call: spreads load over many keys like real traffic. @template T @param {T[]} values */
export const cycle = (values) => {
  let index = 0;
  return () => values[index++ % values.length];
};
