// The dated price table, as data: tools/cost/prices.<region>.json.
import { readFileSync } from 'node:fs';

/**
 * @param {string} [file]  another table (same shape); default: us-east-1's
 * @returns {import('./model.mjs').PriceTable}
 */
export const loadPrices = (file) => {
  const url = file ?? new URL('../prices.us-east-1.json', import.meta.url);
  const table = JSON.parse(readFileSync(url, 'utf8'));
  for (const [key, price] of Object.entries(table.prices ?? {})) {
    const p = /** @type {any} */ (price);
    if (!Number.isFinite(p.usd) || !(p.per > 0) || typeof p.source !== 'string' || !p.source.startsWith('https://')) throw new Error(`price "${key}" needs usd, per > 0 and an https source`);
  }
  return table;
};
