#!/usr/bin/env node
// `npm run cost`: the cost model, quickly. It prices the counts the last
// `npm run bench` measured (its bench.json keeps them, framed per unit of
// work) with today's price table, and prints the cost per unit by service,
// by function and line by line, the idle stage a month, and the memory model.
// No stack is started: the counts are the bench's (measured on the local
// stack), the prices are the table's. To measure afresh: npm run bench (or,
// quicker, `npm run bench -- --only get,paced`).
//   npm run cost                       from dist/bench/bench.json
//   npm run cost -- --from FILE        another bench.json
//   npm run cost -- --prices FILE      another price table (same shape)
//   npm run cost -- --markdown         markdown tables
//   npm run cost -- --json             the priced figures as JSON
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadPrices } from './lib/prices.mjs';
import { costReport } from './lib/report.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const USAGE = 'usage: npm run cost [-- --from BENCH_JSON] [-- --prices PRICES_JSON] [-- --markdown | --json]';

/** @type {Record<string, any>} */
let values;
try {
  ({ values } = parseArgs({ options: { from: { type: 'string' }, prices: { type: 'string' }, markdown: { type: 'boolean', default: false }, json: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } } }));
} catch (error) {
  console.error(`${/** @type {Error} */ (error).message}\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const from = path.resolve(values.from ?? path.join(ROOT, 'dist/bench/bench.json'));
if (!existsSync(from)) {
  console.error(`No bench results at ${path.relative(process.cwd(), from)}: the counts come from a bench run. Run \`npm run bench -- --only get,paced\` (a few minutes), then \`npm run cost\`.`);
  process.exit(1);
}
const results = JSON.parse(readFileSync(from, 'utf8'));
// bench.json keeps everything the bench measured under `details`.
const cost = results.details?.cost ?? results.cost;
const input = cost?.input;
if (!input) {
  console.error(`${path.relative(process.cwd(), from)} holds no cost counts: run \`npm run bench -- --only get,paced\` (the paced pipeline measures them).`);
  process.exit(1);
}
const table = loadPrices(values.prices && path.resolve(values.prices));
const { lines, priced } = costReport(input, table, { markdown: values.markdown });
if (values.json) console.log(JSON.stringify({ measuredAt: results.meta?.startedAt, prices: { region: table.region, asOf: table.asOf }, ...priced }, null, 2));
else {
  console.log(`Counts measured by npm run bench at ${results.meta?.startedAt ?? '?'} (${path.relative(process.cwd(), from)}).`);
  console.log(lines.join('\n'));
}
