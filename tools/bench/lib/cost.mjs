// The cost model in the bench's report: the counts the stack's usage meter
// took while the scenario's phases ran (usage.mjs), framed per unit of work
// by the scenario, priced by @platform/cost with its dated price table. The
// input is kept in bench.json, so `npm run cost` prices it again later.
import { loadPrices } from '@platform/cost/lib/prices';
import { costReport } from '@platform/cost/lib/report';
import { addUsage, compiledTemplates, functionConfigs, measuredFunctions, stageFacts, workloadFromUsage } from './usage.mjs';

/**
 * @typedef {{ unit: string, per: number, units: number, delta: Record<string, any>, what: string }} MeasuredWork
 *   what a phase did: `units` units of work (as the scenario counts them) while the stack used `delta`
 */

/**
 * The cost model's input from what the phases measured.
 * @param {{ work: MeasuredWork[], traced: boolean, notes?: string[], templates?: any[] }} options
 *   traced: whether the deployed stages trace the functions (the local templates never do)
 * @returns {import('@platform/cost/lib/report').CostInput}
 */
export const buildCostInput = ({ work, traced, notes = [], templates = compiledTemplates() }) => {
  const configs = functionConfigs(templates);
  const stage = stageFacts(templates);
  const scheduled = (/** @type {string} */ name) => configs.get(name)?.scheduled ?? false;
  const all = work.reduce((sum, w) => addUsage(sum, w.delta), /** @type {Record<string, any>} */ ({}));
  // The scheduled functions' runs belong to the idle stage, with what one run measured.
  const scheduledFunctions = Object.entries(all.functions ?? {})
    .filter(([name, f]) => scheduled(name) && (f.warm?.invocations ?? 0) + (f.cold?.invocations ?? 0) > 0)
    .map(([name, f]) => {
      const timed = (f.warm?.invocations ?? 0) > 0 ? f.warm : f.cold;
      const config = configs.get(name);
      const runs = (f.warm?.invocations ?? 0) + (f.cold?.invocations ?? 0);
      return { name, billedMs: timed.billedMs / timed.invocations, memoryMb: config?.memoryMb ?? 128, architecture: config?.architecture ?? 'x86_64', logBytes: (f.logBytes ?? 0) / runs };
    });
  return {
    measuredIn: work.map((w) => `${w.what} (${w.units} ${w.unit}s)`).join('; '),
    notes: [...notes, ...work.flatMap(countNotes)],
    workloads: work.map((w) => workloadFromUsage({ delta: w.delta, unit: w.unit, per: w.per, units: w.units, configs, traced, exclude: scheduled })),
    functions: measuredFunctions(all, configs),
    stage,
    logRetentionDays: stage.logRetentionDays,
    scheduledFunctions,
  };
};

/** @param {any} node @param {string} key @returns {number} the sum of every counter named `key` below node */
const total = (node, key) =>
  node && typeof node === 'object' ? Object.entries(node).reduce((sum, [k, v]) => sum + (k === key && typeof v === 'number' ? v : total(v, key)), 0) : 0;

/**
 * What the counts of a phase rest on, said under the cost section.
 * @param {MeasuredWork} w @returns {string[]}
 */
const countNotes = (w) => {
  const out = [];
  const writes = total(w.delta.dynamodb, 'writeUnits');
  const modelled = total(w.delta.dynamodb, 'writeUnitsModelled');
  if (modelled > 0) out.push(`While ${w.what} ran, ${((100 * modelled) / writes).toFixed(1)}% of the DynamoDB write units were modelled, not reported: writes whose condition failed (AWS charges them; the error carries no units), at their minimum.`);
  const functions = Object.values(w.delta.functions ?? {});
  const cold = functions.reduce((sum, f) => sum + (f.cold?.invocations ?? 0), 0);
  const warm = functions.reduce((sum, f) => sum + (f.warm?.invocations ?? 0), 0);
  if (cold > 0) out.push(`While ${w.what} ran, ${cold} of ${cold + warm} invocations were cold (a worker's first, its module load included): billed durations and the memory model use the ${warm} warm ones.`);
  const sqs = w.delta.sqs ?? {};
  const empty = total(sqs, 'empty');
  if (empty > 0) out.push(`While ${w.what} ran, the local pollers made ${empty} empty receives: left out of the cost per ${w.unit} (the idle stage prices AWS's idle polling).`);
  return out;
};

/**
 * The report's cost section (and the priced figures for bench.json).
 * @param {import('@platform/cost/lib/report').CostInput} input
 * @returns {{ section: import('./table.mjs').Section, priced: import('@platform/cost/lib/report').Priced }}
 */
export const costSection = (input) => {
  const table = loadPrices();
  const text = costReport(input, table);
  const markdown = costReport(input, table, { markdown: true });
  return { section: { title: 'Cost and memory (the cost model: docs/cost.md; again later: npm run cost)', text: text.lines, markdown: markdown.lines }, priced: text.priced };
};

export { startUsage } from './usage.mjs';
