// Turns the bench's measurements into its one table (text, Markdown, JSON),
// with each figure beside its ceiling from the same run, and the targets with
// their verdicts. Ratios, not absolute times, are what carry across machines.
// The rows and targets of what the engine measures itself (the ceilings, the
// cold burst, start-up, cold loads) are built here; a scenario adds its own
// (see run.mjs, BenchScenario) with the same helpers.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ratio } from './stats.mjs';

export const COLUMNS = ['#', 'What', 'Load', 'Value', 'p50', 'p99', 'Errors', 'Ceiling (same run)', 'Ratio'];

/** @param {unknown} n @returns {n is number} */
export const finite = (n) => typeof n === 'number' && Number.isFinite(n);
/** @param {number | undefined} ms */
export const fmtMs = (ms) => (!finite(ms) ? '—' : ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 100 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`);
/** @param {number | undefined} n */
export const fmtRate = (n) => (!finite(n) ? '—' : n >= 100 ? `${Math.round(n)}/s` : `${n.toFixed(1)}/s`);
/** @param {number | undefined} r */
export const fmtPct = (r) => (!finite(r) ? '—' : `${Math.round(r * 100)}%`);
/** @param {number | undefined} r */
export const fmtTimes = (r) => (!finite(r) ? '—' : `${r.toFixed(r >= 10 ? 0 : 1)}×`);
/** CPU milliseconds: one decimal below 100. @param {number | undefined} ms */
export const fmtCpu = (ms) => (!finite(ms) ? '—' : ms >= 100 ? `${Math.round(ms)}` : ms.toFixed(1));

/**
 * @typedef {{ connections: number, rps: number, p50: number, p99: number, errors: number,
 *   non2xx?: number, nonJson?: number, socketErrors?: number, timeouts?: number, statuses?: Record<string, number>, badSample?: string, errorSample?: string }} Level
 * @typedef {{ id: string, section: number, what: string, load: string, value: string, p50: string, p99: string,
 *   errors: string, ceiling: string, ratio: string, data: Record<string, unknown> }} Row
 * @typedef {{ id: string, target: string, measured: string, verdict: 'PASS' | 'MISS' | 'NOT RUN' | 'INCOMPLETE', heldBackBy?: string[] }} Target
 * @typedef {import('./cpu.mjs').CpuPhase} CpuPhase
 */

/** A label without its explanation in brackets: "local stack process (gateway, …)" → "local stack process". @param {string} label */
export const shortLabel = (label) => label.replace(/\s*\(.*\)$/, '');

/**
 * The "Where the CPU goes" section: one line per measured phase.
 * @param {any} r
 * @returns {string[]}
 */
export const cpuLines = (r) =>
  (r.cpu?.phases ?? []).map((/** @type {CpuPhase} */ p) => {
    const per = p.unit === 's' ? 'ms CPU/s' : `ms CPU/${p.unit}`;
    const parts = p.cpuMsPerUnit.map((c) => `${shortLabel(c.label)} ${fmtCpu(c.ms)}`).join(', ');
    const count = p.unit === 's' ? `${(p.wallMs / 1000).toFixed(1)} s` : `${p.completed} ${p.unit}s in ${(p.wallMs / 1000).toFixed(1)} s`;
    const busy = `machine ${fmtPct(p.utilisation)} busy${finite(p.machineBusy) ? ` (/proc/stat ${fmtPct(p.machineBusy)})` : ''}`;
    const ceiling = p.unit === 's' ? '' : `; CPU-bound ceiling ${fmtRate(p.cpuBoundCeiling)} (${p.cores} cores ÷ ${fmtCpu(p.stackCpuMsPerUnit)} ms without the bench client)`;
    return `${p.what} (${count}): ${fmtCpu(p.totalCpuMsPerUnit)} ${per} — ${parts}; ${busy}${ceiling}`;
  });

/** Utilisation from which a missed target is put down to the CPU. */
export const CPU_BOUND_UTILISATION = 0.85;

/**
 * The CPU figure of a missed target, when the machine was busy enough for the CPU to be what held it back.
 * @param {any} r @param {string} id @param {(ceiling: number) => string} compare what the CPU-bound ceiling is set beside
 * @returns {string[]}
 */
export const cpuHeldBack = (r, id, compare) => {
  const p = (r.cpu?.phases ?? []).find((/** @type {CpuPhase} */ ph) => ph.id === id);
  if (!p || !(p.utilisation >= CPU_BOUND_UTILISATION)) return [];
  const top = p.cpuMsPerUnit
    .slice(0, 4)
    .map((/** @type {CpuPhase['cpuMsPerUnit'][number]} */ c) => `${shortLabel(c.label)} ${fmtCpu(c.ms)}`)
    .join(', ');
  const dynamo = p.cpuMsPerUnit.find((/** @type {CpuPhase['cpuMsPerUnit'][number]} */ c) => c.label === 'DynamoDB Local');
  return [
    `the machine's CPU: ${fmtPct(p.utilisation)} of ${p.cores} cores busy, ${fmtCpu(p.totalCpuMsPerUnit)} ms CPU per ${p.unit} (${top}); at ${fmtCpu(p.stackCpuMsPerUnit)} ms per ${p.unit} without the bench client, ${p.cores} cores allow at most ${fmtRate(p.cpuBoundCeiling)}${compare(p.cpuBoundCeiling)}${dynamo ? `; DynamoDB Local's share is ${fmtCpu(dynamo.ms)} ms (${fmtPct(ratio(dynamo.ms, p.totalCpuMsPerUnit))})` : ''}`,
  ];
};

/** The best rate over all levels: the ceiling a load could use. @param {Level[] | undefined} levels */
export const bestRate = (levels) => {
  const rates = (levels ?? []).map((l) => l.rps).filter(finite);
  return rates.length > 0 ? Math.max(...rates) : Number.NaN;
};

/**
 * Whether a phase ran: results from before --only existed ran everything.
 * @param {any} r @param {string} name
 */
export const ran = (r, name) => !Array.isArray(r.config.phases) || r.config.phases.includes(name);

/** @param {Level[] | undefined} levels @param {number} connections */
export const at = (levels, connections) => levels?.find((l) => l.connections === connections);

/** @param {Level} level */
export const errorText = (level) => {
  if (!finite(level.errors)) return '—';
  if (level.errors === 0) return '0';
  const parts = [];
  if (level.non2xx) parts.push(`non-2xx ${level.non2xx}`);
  if (level.nonJson) parts.push(`non-JSON ${level.nonJson}`);
  if (level.socketErrors) parts.push(`socket ${level.socketErrors}`);
  if (level.timeouts) parts.push(`timeout ${level.timeouts}`);
  return `${level.errors}${parts.length ? ` (${parts.join(', ')})` : ''}`;
};

/** What a row leaves out reads as '—'. */
export const UNMEASURED = { p50: '—', p99: '—', errors: '—', ceiling: '—', ratio: '—' };

/**
 * A list of rows, each completed with what it leaves out.
 * @returns {{ rows: Row[], add: (row: Pick<Row, 'id' | 'section' | 'what' | 'load' | 'value'> & Partial<Row>) => void }}
 */
export const rowList = () => {
  /** @type {Row[]} */
  const rows = [];
  return { rows, add: (row) => rows.push({ ...UNMEASURED, data: {}, ...row }) };
};

/**
 * A list of targets, each with its verdict and, when missed, what holds it back.
 * @param {any} r
 */
export const targetList = (r) => {
  /** @type {Target[]} */
  const targets = [];
  /**
   * @param {string} id @param {string} target @param {string} measured
   * @param {boolean | 'NOT RUN' | 'INCOMPLETE'} pass a verdict, or why there is none
   * @param {string[]} heldBack
   */
  const add = (id, target, measured, pass, heldBack) =>
    targets.push({ id, target, measured, verdict: typeof pass === 'string' ? pass : pass ? 'PASS' : 'MISS', ...(pass === false || pass === 'INCOMPLETE' ? { heldBackBy: heldBack } : {}) });
  /** @param {string} id @param {string} target */
  const notRun = (id, target) => add(id, target, `not run (--only ${r.config.only})`, 'NOT RUN', []);
  return { targets, add, notRun };
};

/** Drops per-request detail from a burst before it goes into JSON. @param {any} burst */
export const strip = (burst) => {
  if (!burst) return burst;
  return Object.fromEntries(Object.entries(burst).filter(([key]) => key !== 'answers'));
};

/** @param {any} r @param {string} phase */
export const phaseError = (r, phase) => {
  const failure = r.failures.find((/** @type {{ phase: string, error: string }} */ f) => f.phase === phase);
  return failure ? `the ${phase} phase failed: ${failure.error}` : '';
};

/**
 * The rows of what the engine measures itself: the ceilings (section 1), the
 * cold burst (3), start-up and cold loads (5). A scenario's rows fill sections 2 and 4.
 * @param {any} r the bench's results (see run.mjs)
 * @returns {Row[]}
 */
export const engineRows = (r) => {
  const { rows, add } = rowList();
  const levels = r.config.levels;

  // 1. Ceilings.
  for (const c of ran(r, 'http') ? levels : []) {
    const l = at(r.ceilings.http, c);
    add({ id: `http-ceiling@${c}`, section: 1, what: 'HTTP ceiling: bare serverless-offline function', load: `${c} conn`, value: fmtRate(l?.rps), p50: fmtMs(l?.p50), p99: fmtMs(l?.p99), errors: l ? errorText(l) : '—', ceiling: '—', ratio: '—', data: { ...l } });
  }
  for (const [key, label, name] of /** @type {const} */ ([['getItem', 'GetItem', 'storage-getitem'], ['transaction', '2-item TransactWriteItems', 'storage-tx']])) {
    for (const c of ran(r, name) ? levels : []) {
      const l = at(r.ceilings[key], c);
      add({ id: `${key === 'getItem' ? 'getitem' : 'transaction'}-ceiling@${c}`, section: 1, what: `Storage ceiling: DynamoDB Local ${label}`, load: `${c} conc`, value: fmtRate(l?.rps), p50: fmtMs(l?.p50), p99: fmtMs(l?.p99), errors: l ? errorText(l) : '—', ceiling: '—', ratio: '—', data: { ...l } });
    }
  }

  // 3. Cold burst, beside the same burst on the fresh bare function.
  const burst = r.coldBurst.stack;
  const bareBurst = r.coldBurst.bare;
  if (ran(r, 'burst') && r.coldBurst.what) {
    add({
      id: 'cold-burst',
      section: 3,
      what: `Cold burst: ${burst?.count ?? r.config.burst} concurrent ${r.coldBurst.what}, fresh stack`,
      load: `${burst?.count ?? r.config.burst} at once`,
      value: burst ? `${burst.ok}/${burst.count} ok, all in ${fmtMs(burst.wallMs)}` : '—',
      p50: fmtMs(burst?.p50),
      p99: fmtMs(burst?.p99),
      errors: burst ? `non-2xx ${burst.non2xx} · non-JSON ${burst.nonJson} · timeout ${burst.timeouts}` : '—',
      ceiling: bareBurst ? `bare fn burst p50 ${fmtMs(bareBurst.p50)} · p99 ${fmtMs(bareBurst.p99)}` : '—',
      ratio: `p99 ${fmtTimes(ratio(burst?.p99 ?? NaN, bareBurst?.p99 ?? NaN))}`,
      data: { stack: strip(burst), bare: strip(bareBurst), drained: r.coldBurst.drained },
    });
  }

  // 5. Start-up and cold loads.
  if (ran(r, 'startup')) {
    add({
      id: 'npm-start',
      section: 5,
      what: 'npm start: spawn → "Local stack ready"',
      load: r.startup.templates ? (/reused/i.test(r.startup.templates) ? 'templates reused' : 'templates compiled') : '—',
      value: fmtMs(r.startup.stackReadyMs),
      ceiling: `bare serverless-offline ready ${fmtMs(r.startup.bareReadyMs)}`,
      ratio: fmtTimes(ratio(r.startup.stackReadyMs, r.startup.bareReadyMs)),
      data: { ...r.startup },
    });
  }
  const bareNode = r.coldLoad?.bareNodeMs;
  for (const f of !ran(r, 'cold-load') ? [] : (r.coldLoad?.functions ?? [{ service: '?', function: '?', loadMs: NaN, loadWithSourceMapsMs: NaN }])) {
    add({
      id: `cold-load:${f.service}/${f.function}`,
      section: 5,
      what: `Cold load: ${f.service}/${f.function}`,
      load: `median of ${r.coldLoad?.runs ?? '—'}`,
      value: `${fmtMs(f.loadMs)} (source maps ${fmtMs(f.loadWithSourceMapsMs)})`,
      ceiling: `bare node start ${fmtMs(bareNode)}`,
      ratio: fmtTimes(ratio(f.loadMs, bareNode)),
      data: { ...f, bareNodeMs: bareNode },
    });
  }
  return rows;
};

/**
 * The engine's targets: the cold burst answers every request well (before the
 * scenario's targets), the stack starts in time (after them).
 * @param {any} r
 * @returns {{ before: Target[], after: Target[] }}
 */
export const engineTargets = (r) => {
  const first = targetList(r);
  const burst = r.coldBurst.stack;
  const burstTarget = 'Cold burst: 0 non-2xx, 0 non-JSON, 0 timeouts';
  if (!r.coldBurst.what) {
    // The scenario has no cold burst.
  } else if (!ran(r, 'burst')) first.notRun('cold-burst', burstTarget);
  else if (burst) {
    const bare = r.coldBurst.bare;
    first.add(
      'cold-burst',
      burstTarget,
      `non-2xx ${burst.non2xx}, non-JSON ${burst.nonJson}, timeouts ${burst.timeouts} of ${burst.count}`,
      burst.non2xx === 0 && burst.nonJson === 0 && burst.timeouts === 0,
      [
        `answers by status: ${JSON.stringify(burst.statuses)}; slowest ${fmtMs(burst.maxMs)}; first bad answer: ${burst.badSample ?? '—'}`,
        bare ? `the bare serverless-offline function under the same burst: ${JSON.stringify(bare.statuses)}, p99 ${fmtMs(bare.p99)}` : 'no bare-function burst to compare',
      ],
    );
  } else first.add('cold-burst', burstTarget, 'not measured', false, [phaseError(r, 'cold burst')]);

  const last = targetList(r);
  const ready = r.startup.stackReadyMs;
  const phases = [...(r.startup.phases ?? [])].sort((a, b) => b.ms - a.ms);
  if (!ran(r, 'startup')) last.notRun('npm-start', 'npm start ready ≤ 12 s');
  else {
    last.add('npm-start', 'npm start ready ≤ 12 s', fmtMs(ready), finite(ready) && ready <= 12_000, [
      phases.length > 0 ? `longest phase: ${phases[0].phase} ${fmtMs(phases[0].ms)}; all: ${r.startup.phases.map((/** @type {any} */ ph) => `${ph.phase} ${fmtMs(ph.ms)}`).join('; ')}` : 'no phase markers in the stack output',
      `one bare serverless-offline service alone is ready in ${fmtMs(r.startup.bareReadyMs)}`,
      ...(r.startup.templates ? [`the stack said: ${r.startup.templates}`] : []),
    ]);
  }
  return { before: first.targets, after: last.targets };
};

/** @param {string[][]} table */
const renderText = (table) => {
  const widths = COLUMNS.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length)));
  const line = (/** @type {string[]} */ cells) => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const [header = COLUMNS, ...body] = table;
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
};

/** @param {string[][]} table */
const renderMarkdown = (table) => {
  const escape = (/** @type {string} */ cell) => cell.replace(/\|/g, '\\|');
  const [header = COLUMNS, ...body] = table;
  return [`| ${header.map(escape).join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...body.map((row) => `| ${row.map(escape).join(' | ')} |`)].join('\n');
};

/** @typedef {{ title: string, text: string[], markdown: string[] }} Section  a part of the report of its own: its lines as printed and as markdown */

/**
 * Prints the report and writes bench.json and bench.md to `outDir`.
 * @param {{ results: any, outDir: string, rows: Row[], targets: Target[], sections?: Section[], print?: (text: string) => void }} options
 *   rows: the engine's and the scenario's, in section order; targets: in the order they are reported;
 *   sections: the scenario's own, after the table (the cost model's)
 */
export const writeReport = ({ results, outDir, rows, targets, sections = [], print = console.log }) => {
  const notes = results.notes;
  const table = [COLUMNS, ...rows.map((row) => [String(row.section), row.what, row.load, row.value, row.p50, row.p99, row.errors, row.ceiling, row.ratio])];
  const targetLines = targets.flatMap((t) => [`${t.verdict}  ${t.target}: ${t.measured}`, ...(t.heldBackBy ?? []).map((why) => `      held back by: ${why}`)]);
  const title = `Bench (${results.config.mode}, ${results.meta.cpus} CPUs, node ${results.meta.node}) — ${results.meta.startedAt}, took ${fmtMs(results.meta.durationMs)}`;

  const cpu = cpuLines(results);
  const cpuSection = cpu.length > 0 ? ['', 'Where the CPU goes', ...cpu.map((l) => `  ${l}`)] : [];
  const extra = sections.flatMap((section) => ['', section.title, ...section.text.map((l) => (l === '' ? '' : `  ${l}`))]);
  print([title, '', renderText(table), ...cpuSection, ...extra, '', 'Targets', ...targetLines.map((l) => `  ${l}`), '', 'Notes', ...notes.map((/** @type {string} */ n) => `  - ${n}`)].join('\n'));

  mkdirSync(outDir, { recursive: true });
  const json = { meta: results.meta, config: results.config, rows, cpu: { ...results.cpu, lines: cpu }, targets, notes, failures: results.failures, details: { ...results, coldBurst: { ...results.coldBurst, stack: strip(results.coldBurst.stack), bare: strip(results.coldBurst.bare) } } };
  // NaN is not JSON: unmeasured figures become null rather than breaking the file.
  writeFileSync(path.join(outDir, 'bench.json'), `${JSON.stringify(json, (_key, value) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2)}\n`);
  const md = [
    `# ${title}`,
    '',
    renderMarkdown(table),
    '',
    ...(cpu.length > 0 ? ['## Where the CPU goes', '', ...cpu.map((l) => `- ${l}`), ''] : []),
    ...sections.flatMap((section) => [`## ${section.title}`, '', ...section.markdown, '']),
    '## Targets',
    '',
    ...targets.flatMap((t) => [`- **${t.verdict}** ${t.target}: ${t.measured}`, ...(t.heldBackBy ?? []).map((why) => `  - held back by: ${why}`)]),
    '',
    '## Notes',
    '',
    ...notes.map((/** @type {string} */ n) => `- ${n}`),
    '',
  ].join('\n');
  writeFileSync(path.join(outDir, 'bench.md'), md);
  return { rows, targets };
};
