// Prices a cost input (what a measured run counted, framed per unit of work
// by its caller) and lays it out: per workload the cost by service, by
// function and line by line (biggest first, with what would shrink it), the
// idle stage a month, and the memory model per function. The same lines serve
// the terminal and the markdown report.
import { idleStage, priceWorkload } from './model.mjs';
import { memoryModel } from './memory.mjs';

/**
 * @typedef {object} CostInput  what a run measured, ready to price
 * @property {string} measuredIn                 what it was measured on
 * @property {import('./model.mjs').Workload[]} workloads
 * @property {import('./memory.mjs').MeasuredFunction[]} functions
 * @property {import('./model.mjs').StageFacts} stage
 * @property {number} [logRetentionDays]
 * @property {{ name: string, billedMs: number, memoryMb: number, architecture: string, logBytes: number }[]} [scheduledFunctions]  per invocation, for the idle stage
 * @property {string[]} [notes]
 */

/** @param {number} usd */
export const fmtUsd = (usd) => {
  if (!Number.isFinite(usd)) return '—';
  if (usd === 0) return '$0';
  const abs = Math.abs(usd);
  if (abs >= 100) return `$${usd.toFixed(0)}`;
  if (abs >= 1) return `$${usd.toFixed(2)}`;
  if (abs >= 0.01) return `$${usd.toFixed(3)}`;
  return `$${usd.toPrecision(2)}`;
};
/** @param {number} n */
const fmtQty = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1000 ? `${(n / 1000).toFixed(1)} k` : n >= 10 ? n.toFixed(0) : n >= 0.1 ? n.toFixed(2) : n.toPrecision(2));
/** @param {number} share */
const pct = (share) => `${Math.round(share * 100)}%`;
/** @param {number} per */
const perText = (per) => (per >= 1e6 ? `${per / 1e6} million` : per.toLocaleString('en-US'));

/**
 * @param {CostInput} input @param {import('./model.mjs').PriceTable} table
 */
export const priceInput = (input, table) => ({
  workloads: input.workloads.map((w) => priceWorkload(w, table, { logRetentionDays: input.logRetentionDays })),
  idle: idleStage(input.stage, table, { functions: input.scheduledFunctions }),
  memory: input.functions.map((fn) => memoryModel(fn, table)),
});

/** @typedef {ReturnType<typeof priceInput>} Priced */

/**
 * The report's lines. `markdown` makes tables of them.
 * @param {CostInput} input @param {import('./model.mjs').PriceTable} table @param {{ markdown?: boolean, topLines?: number }} [options]
 */
export const costReport = (input, table, { markdown = false, topLines = 12 } = {}) => {
  const priced = priceInput(input, table);
  /** @type {string[]} */
  const out = [];
  /** @param {string[]} header @param {string[][]} rows */
  const tableOf = (header, rows) => {
    if (markdown) {
      out.push(`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`), '');
      return;
    }
    const widths = header.map((h, i) => Math.min(70, Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length))));
    const line = (/** @type {string[]} */ cells) => cells.map((c, i) => (c.length > (widths[i] ?? 0) ? `${c.slice(0, (widths[i] ?? 1) - 1)}…` : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
    out.push(line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line), '');
  };
  const title = (/** @type {string} */ text) => out.push(markdown ? `### ${text}` : `== ${text}`, '');

  out.push(`Prices: ${table.region}, ${table.currency}, as of ${table.asOf} (tools/cost/prices.${table.region}.json). Counts: ${input.measuredIn}.`, '');
  for (const w of priced.workloads) {
    title(`Cost per ${perText(w.per)} ${w.unit}s: ${fmtUsd(w.total)}`);
    tableOf(
      ['service', 'USD', 'share'],
      w.byService.map((s) => [s.key, fmtUsd(s.usd), pct(w.total > 0 ? s.usd / w.total : 0)]),
    );
    tableOf(
      ['function', 'USD', 'share'],
      w.byFunction.filter((f) => f.usd > 0).map((f) => [f.key, fmtUsd(f.usd), pct(w.total > 0 ? f.usd / w.total : 0)]),
    );
    const shown = w.lines.slice(0, topLines);
    tableOf(
      ['#', 'service', 'line', 'function', 'quantity', 'USD', 'what would shrink it'],
      shown.map((l, i) => [String(i + 1), l.service, l.item, l.functionName ?? '', `${fmtQty(l.quantity)} ${l.unit}`, fmtUsd(l.usd), l.shrink ?? '']),
    );
    if (w.lines.length > shown.length) out.push(`(${w.lines.length - shown.length} smaller lines, ${fmtUsd(w.lines.slice(topLines).reduce((s, l) => s + l.usd, 0))} together, in the JSON)`, '');
  }
  title(`One idle stage, per month: ${fmtUsd(priced.idle.total)}`);
  tableOf(
    ['service', 'line', 'quantity', 'USD', 'what would shrink it'],
    priced.idle.lines.map((l) => [l.service, l.item, `${fmtQty(l.quantity)} ${l.unit}`, fmtUsd(l.usd), l.shrink ?? '']),
  );
  title('Memory per function (modelled from measured CPU and wait per warm invocation; 1 vCPU at 1,769 MB)');
  const sizes = priced.memory[0]?.rows.map((r) => r.memoryMb) ?? [];
  tableOf(
    ['function', 'invocations', 'CPU ms', 'wait ms', 'peak heap MB', ...sizes.map((m) => `${m} MB ms / $ per M`), 'set', 'recommended', 'strategy'],
    priced.memory.map((m) => [
      m.name,
      String(m.invocations ?? ''),
      m.cpuMs.toFixed(1),
      m.waitMs.toFixed(1),
      m.heapMb === undefined ? '—' : m.heapMb.toFixed(0),
      ...m.rows.map((r) => `${r.billedMs} / ${fmtUsd(r.usdPerMillion)}`),
      `${m.configured.memoryMb} MB`,
      `${m.recommended.memoryMb} MB${m.change === 'keep' ? ' (keep)' : ` (${m.change}: ${m.saving >= 0 ? '−' : '+'}${pct(Math.abs(m.saving))} cost, ${m.recommended.billedMs} vs ${m.configured.billedMs} ms)`}`,
      m.strategy,
    ]),
  );
  for (const note of input.notes ?? []) out.push(markdown ? `- ${note}` : `* ${note}`);
  return { lines: out, priced };
};
