// Small numeric helpers shared by every part of the bench.

/** @param {number[]} values @returns {number} NaN for no values */
export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (/** @type {number} */ index) => sorted[index] ?? Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? at(middle) : (at(middle - 1) + at(middle)) / 2;
};

/**
 * Nearest-rank percentile, the definition autocannon's histogram uses too, so
 * figures from both sources mean the same thing.
 * @param {number[]} values
 * @param {number} p 0-100
 * @returns {number} NaN for no values
 */
export const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? Number.NaN;
};

/** @param {number} numerator @param {number} denominator */
export const ratio = (numerator, denominator) =>
  Number.isFinite(numerator) && Number.isFinite(denominator) && denominator > 0 ? numerator / denominator : Number.NaN;

/** Milliseconds since `start` (a process.hrtime.bigint() reading). @param {bigint} start */
export const msSince = (start) => Number(process.hrtime.bigint() - start) / 1e6;

/** @param {number} ms */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
