// Memory per function, from measurement: an invocation's time is its CPU time
// plus its waiting (I/O: DynamoDB, SNS, the network). Lambda gives a function
// CPU in proportion to its memory, one full vCPU at 1,769 MB; a Node.js
// handler runs on one thread, so more than one vCPU does not shorten it. So
// at a memory size m the CPU part takes cpuMs × max(1, 1769 / m), the wait
// part does not change, and the billed duration is their sum rounded up to
// the millisecond. The measured CPU time is taken as what one full vCPU
// needs (docs/cost.md says how to check that in AWS with Lambda Power Tuning).
import { durationPriceKey, gbSeconds, priceOf, usdFor } from './model.mjs';

export const FULL_VCPU_MB = 1769;
export const MEMORY_SIZES = [128, 256, 512, 1024, 1769];

/**
 * @typedef {object} MeasuredFunction
 * @property {string} name
 * @property {number} cpuMs          CPU time of one warm invocation, measured
 * @property {number} waitMs         wall time of one warm invocation minus its CPU time
 * @property {number} memoryMb       configured now
 * @property {string} architecture
 * @property {boolean} synchronous   a caller waits for it (an HTTP route): its duration is latency
 * @property {number} [timeoutMs]
 * @property {number} [invocations]  measured (how much the figures rest on)
 * @property {number} [heapMb]       the most JavaScript heap an invocation's thread held, measured
 */

/**
 * What a Node.js 22 function's memory holds besides its JavaScript heap (the runtime, its code,
 * buffers): an estimate, to check against Max Memory Used in the REPORT lines (docs/cost.md).
 */
export const RUNTIME_OVERHEAD_MB = 64;
/** What a step to the next bigger size must cut from a synchronous function's duration to be worth its price. */
export const STEP_WORTH = { share: 0.1, ms: 5 };
/** The headroom kept above the estimated peak. */
const MEMORY_HEADROOM = 1.25;

/** The memory a function needs at least: (heap + runtime) with headroom. @param {number | undefined} heapMb */
export const memoryFloorMb = (heapMb) => (heapMb === undefined ? 0 : (heapMb + RUNTIME_OVERHEAD_MB) * MEMORY_HEADROOM);

/** The modelled duration of one invocation at `memoryMb`. @param {{ cpuMs: number, waitMs: number }} fn @param {number} memoryMb */
export const durationAt = ({ cpuMs, waitMs }, memoryMb) => cpuMs * Math.max(1, FULL_VCPU_MB / memoryMb) + waitMs;

/** Lambda's billed duration: rounded up to the millisecond. @param {number} ms */
export const billed = (ms) => Math.max(1, Math.ceil(ms));

/**
 * The function at each memory size: modelled duration, billed duration, and the cost of a
 * million invocations (requests + duration), and the size to choose:
 * - synchronous (a caller waits: its duration is latency): from the smallest size, the next
 *   bigger one is taken while it cuts the duration by at least STEP_WORTH (10% and 5 ms): each
 *   step doubles the price of a millisecond, so a function that mostly waits is not given
 *   memory it cannot use, and one that computes gets it;
 * - asynchronous (an event source mapping, a schedule: nobody waits): the cheapest size
 *   whose duration stays under half the timeout.
 * Either way only among the sizes that hold the measured heap and the runtime with headroom (memoryFloorMb).
 * Ties go to the smaller size.
 * @param {MeasuredFunction} fn @param {import('./model.mjs').PriceTable} table @param {{ sizes?: number[] }} [options]
 */
export const memoryModel = (fn, table, { sizes = MEMORY_SIZES } = {}) => {
  const durationKey = durationPriceKey(fn.architecture);
  priceOf(table, durationKey);
  const rows = sizes.map((memoryMb) => {
    const durationMs = durationAt(fn, memoryMb);
    const billedMs = billed(durationMs);
    const usdPerMillion = usdFor(table, 'lambda.request', 1e6) + usdFor(table, durationKey, gbSeconds(1e6, billedMs, memoryMb));
    return { memoryMb, durationMs, billedMs, usdPerMillion };
  });
  const floorMb = memoryFloorMb(fn.heapMb);
  const fits = rows.filter((r) => r.memoryMb >= floorMb && (fn.timeoutMs === undefined || r.durationMs <= fn.timeoutMs / 2));
  const candidates = fits.length > 0 ? fits : rows.slice(-1);
  let best = candidates.reduce((a, b) => (b.usdPerMillion < a.usdPerMillion - 1e-12 ? b : a));
  if (fn.synchronous) {
    best = /** @type {typeof rows[number]} */ (candidates[0]);
    for (const next of candidates.slice(1)) {
      const cut = best.durationMs - next.durationMs;
      if (cut < STEP_WORTH.share * best.durationMs || cut < STEP_WORTH.ms) break;
      best = next;
    }
  }
  const configured = rows.find((r) => r.memoryMb === fn.memoryMb) ?? {
    memoryMb: fn.memoryMb,
    durationMs: durationAt(fn, fn.memoryMb),
    billedMs: billed(durationAt(fn, fn.memoryMb)),
    usdPerMillion: usdFor(table, 'lambda.request', 1e6) + usdFor(table, durationKey, gbSeconds(1e6, billed(durationAt(fn, fn.memoryMb)), fn.memoryMb)),
  };
  return {
    name: fn.name,
    cpuMs: fn.cpuMs,
    waitMs: fn.waitMs,
    cpuShare: fn.cpuMs + fn.waitMs > 0 ? fn.cpuMs / (fn.cpuMs + fn.waitMs) : 0,
    heapMb: fn.heapMb,
    floorMb,
    synchronous: fn.synchronous,
    strategy: fn.synchronous ? `bigger while a step cuts ≥ ${Math.round(STEP_WORTH.share * 100)}% and ≥ ${STEP_WORTH.ms} ms` : 'cheapest under half the timeout',
    invocations: fn.invocations,
    rows,
    configured,
    recommended: best,
    change: best.memoryMb === fn.memoryMb ? 'keep' : best.memoryMb < fn.memoryMb ? 'lower' : 'raise',
    saving: configured.usdPerMillion > 0 ? 1 - best.usdPerMillion / configured.usdPerMillion : 0,
  };
};
