// Turns the bench's measurements into its one table (text, Markdown, JSON),
// with each figure beside its ceiling from the same run, and the targets with
// their verdicts. Ratios, not absolute times, are what carry across machines.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ratio } from './stats.mjs';

export const COLUMNS = ['#', 'What', 'Load', 'Value', 'p50', 'p99', 'Errors', 'Ceiling (same run)', 'Ratio'];

/** @param {number | undefined} n */
const finite = (n) => typeof n === 'number' && Number.isFinite(n);
/** @param {number | undefined} ms */
export const fmtMs = (ms) => (!finite(ms) ? '—' : /** @type {number} */ (ms) >= 10_000 ? `${(/** @type {number} */ (ms) / 1000).toFixed(1)} s` : /** @type {number} */ (ms) >= 100 ? `${Math.round(/** @type {number} */ (ms))} ms` : `${/** @type {number} */ (ms).toFixed(1)} ms`);
/** @param {number | undefined} n */
export const fmtRate = (n) => (!finite(n) ? '—' : /** @type {number} */ (n) >= 100 ? `${Math.round(/** @type {number} */ (n))}/s` : `${/** @type {number} */ (n).toFixed(1)}/s`);
/** @param {number | undefined} r */
export const fmtPct = (r) => (!finite(r) ? '—' : `${Math.round(/** @type {number} */ (r) * 100)}%`);
/** @param {number | undefined} r */
export const fmtTimes = (r) => (!finite(r) ? '—' : `${/** @type {number} */ (r).toFixed(/** @type {number} */ (r) >= 10 ? 0 : 1)}×`);

/**
 * @typedef {{ connections: number, rps: number, p50: number, p99: number, errors: number,
 *   non2xx?: number, nonJson?: number, socketErrors?: number, timeouts?: number, statuses?: Record<string, number>, badSample?: string, errorSample?: string }} Level
 * @typedef {{ id: string, section: number, what: string, load: string, value: string, p50: string, p99: string,
 *   errors: string, ceiling: string, ratio: string, data: Record<string, unknown> }} Row
 */

/** CPU milliseconds: one decimal below 100. @param {number | undefined} ms */
const fmtCpu = (ms) => (!finite(ms) ? '—' : /** @type {number} */ (ms) >= 100 ? `${Math.round(/** @type {number} */ (ms))}` : /** @type {number} */ (ms).toFixed(1));
/** A label without its explanation in brackets: "local stack process (gateway, …)" → "local stack process". @param {string} label */
const shortLabel = (label) => label.replace(/\s*\(.*\)$/, '');

/**
 * The "Where the CPU goes" section: one line per measured phase.
 * @param {any} r
 * @returns {string[]}
 */
export const cpuLines = (r) =>
  (r.cpu?.phases ?? []).map((/** @type {import('./cpu.mjs').CpuPhase} */ p) => {
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
 */
const cpuHeldBack = (r, id, compare) => {
  const p = (r.cpu?.phases ?? []).find((/** @type {import('./cpu.mjs').CpuPhase} */ ph) => ph.id === id);
  if (!p || !(p.utilisation >= CPU_BOUND_UTILISATION)) return [];
  const top = p.cpuMsPerUnit.slice(0, 4).map((c) => `${shortLabel(c.label)} ${fmtCpu(c.ms)}`).join(', ');
  const dynamo = p.cpuMsPerUnit.find((c) => c.label === 'DynamoDB Local');
  return [
    `the machine's CPU: ${fmtPct(p.utilisation)} of ${p.cores} cores busy, ${fmtCpu(p.totalCpuMsPerUnit)} ms CPU per ${p.unit} (${top}); at ${fmtCpu(p.stackCpuMsPerUnit)} ms per ${p.unit} without the bench client, ${p.cores} cores allow at most ${fmtRate(p.cpuBoundCeiling)}${compare(p.cpuBoundCeiling)}${dynamo ? `; DynamoDB Local's share is ${fmtCpu(dynamo.ms)} ms (${fmtPct(ratio(dynamo.ms, p.totalCpuMsPerUnit))})` : ''}`,
  ];
};

/** The best rate over all levels: the ceiling a pipeline could use. @param {Level[] | undefined} levels */
const bestRate = (levels) => {
  const rates = (levels ?? []).map((l) => l.rps).filter(finite);
  return rates.length > 0 ? Math.max(...rates) : Number.NaN;
};

/**
 * The pipeline's storage-bound ceiling: the best raw transaction rate over
 * the transactions one order needs.
 * @param {any} r
 */
const storageBoundOf = (r) => {
  const txBest = bestRate(r.ceilings.transaction);
  return { txBest, storageBound: txBest / r.writesPerOrder };
};

/**
 * Whether a phase ran: results from before --only existed ran everything.
 * @param {any} r @param {string} name
 */
export const ran = (r, name) => !Array.isArray(r.config.phases) || r.config.phases.includes(name);

/** Where the paced pipeline's pace came from, in a few words. @param {any} q the paced results */
export const paceText = (q) => {
  const from = q?.paceFrom;
  if (!from) return 'pace —';
  if (from.source === 'option') return `pace ${fmtRate(from.rate)} from --pace`;
  const basis = from.source === 'cpu-bound' ? 'CPU-bound' : 'decided rate';
  return `pace ${fmtRate(from.rate)} = ${fmtPct(from.share)} of saturated ${basis} ${fmtRate(from.basis)}`;
};

/** How the paced rows name their load. @param {any} q the paced results */
const pacedWhat = (q) => {
  const from = q?.paceFrom;
  if (from?.source === 'option') return `Pipeline, paced at ${fmtRate(from.rate)} (--pace)`;
  return `Pipeline, paced at ${fmtPct(from?.share ?? 0.5)} of the ${from?.source === 'decided-rate' ? 'saturated decided' : 'CPU-bound'} rate`;
};

/** @param {Level[] | undefined} levels @param {number} connections */
const at = (levels, connections) => levels?.find((l) => l.connections === connections);

/** @param {Level} level */
const errorText = (level) => {
  if (!finite(level.errors)) return '—';
  if (level.errors === 0) return '0';
  const parts = [];
  if (level.non2xx) parts.push(`non-2xx ${level.non2xx}`);
  if (level.nonJson) parts.push(`non-JSON ${level.nonJson}`);
  if (level.socketErrors) parts.push(`socket ${level.socketErrors}`);
  if (level.timeouts) parts.push(`timeout ${level.timeouts}`);
  return `${level.errors}${parts.length ? ` (${parts.join(', ')})` : ''}`;
};

const UNMEASURED = { p50: '—', p99: '—', errors: '—', ceiling: '—', ratio: '—' };

/**
 * @param {any} r the bench's results (see bench.mjs)
 * @returns {Row[]}
 */
export const buildRows = (r) => {
  /** @type {Row[]} */
  const rows = [];
  // A row names what it measured; what it leaves out reads as '—'.
  /** @param {Pick<Row, 'id' | 'section' | 'what' | 'load' | 'value'> & Partial<Row>} row */
  const add = (row) => rows.push({ ...UNMEASURED, data: {}, ...row });
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

  // 2. The stack's HTTP path against both ceilings.
  for (const [key, label, storageKey, storageLabel, name] of /** @type {const} */ ([
    ['getItem', 'GET /items/{id} via the gateway', 'getItem', 'GetItem', 'get'],
    ['postOrders', 'POST /orders via the gateway', 'transaction', 'Tx', 'post'],
  ])) {
    for (const c of ran(r, name) ? levels : []) {
      const l = at(r.gateway[key], c);
      const http = at(r.ceilings.http, c);
      const storage = at(r.ceilings[storageKey], c);
      const toHttp = ratio(l?.rps ?? NaN, http?.rps ?? NaN);
      const toStorage = ratio(l?.rps ?? NaN, storage?.rps ?? NaN);
      add({
        id: `${key === 'getItem' ? 'get-item' : 'post-orders'}@${c}`,
        section: 2,
        what: label,
        load: `${c} conn`,
        value: fmtRate(l?.rps),
        p50: fmtMs(l?.p50),
        p99: fmtMs(l?.p99),
        errors: l ? errorText(l) : '—',
        ceiling: `HTTP ${fmtRate(http?.rps)} · ${storageLabel} ${fmtRate(storage?.rps)}`,
        ratio: `${fmtPct(toHttp)} · ${fmtPct(toStorage)}`,
        data: { ...l, httpCeilingRps: http?.rps, storageCeilingRps: storage?.rps, ratioToHttp: toHttp, ratioToStorage: toStorage },
      });
    }
  }

  // 3. Cold burst, beside the same burst on the fresh bare function.
  const burst = r.coldBurst.stack;
  const bareBurst = r.coldBurst.bare;
  if (ran(r, 'burst')) add({
    id: 'cold-burst',
    section: 3,
    what: `Cold burst: ${burst?.count ?? r.config.burst} concurrent POST /orders, fresh stack`,
    load: `${burst?.count ?? r.config.burst} at once`,
    value: burst ? `${burst.ok}/${burst.count} ok, all in ${fmtMs(burst.wallMs)}` : '—',
    p50: fmtMs(burst?.p50),
    p99: fmtMs(burst?.p99),
    errors: burst ? `non-2xx ${burst.non2xx} · non-JSON ${burst.nonJson} · timeout ${burst.timeouts}` : '—',
    ceiling: bareBurst ? `bare fn burst p50 ${fmtMs(bareBurst.p50)} · p99 ${fmtMs(bareBurst.p99)}` : '—',
    ratio: `p99 ${fmtTimes(ratio(burst?.p99 ?? NaN, bareBurst?.p99 ?? NaN))}`,
    data: { stack: strip(burst), bare: strip(bareBurst), drained: r.coldBurst.drained },
  });

  // 4. Pipeline: saturated, and beside each of its rows the paced one's.
  const p = r.pipeline;
  const q = r.paced;
  const runP = ran(r, 'pipeline');
  const runQ = ran(r, 'paced');
  const { txBest, storageBound } = storageBoundOf(r);
  const tx1 = at(r.ceilings.transaction, levels[0]);
  const latencyFloor = (tx1?.p50 ?? NaN) * r.writesPerOrder;
  const pacedLoad = q ? `${q.orders} orders / ${q.items} items, open loop ${q.durationS} s` : `open loop ${r.config.paced?.durationS ?? '—'} s`;
  const savedCpu = (/** @type {string} */ id) => (r.cpu?.phases ?? []).find((/** @type {import('./cpu.mjs').CpuPhase} */ ph) => ph.id === id);
  if (runP) add({
    id: 'pipeline',
    section: 4,
    what: 'Pipeline: orders decided per second (202 → decision on bus)',
    load: `${r.config.pipeline.orders} orders / ${r.config.pipeline.items} items`,
    value: fmtRate(p?.decidedPerSecond),
    p50: fmtMs(p?.decisionP50),
    p99: fmtMs(p?.decisionP99),
    errors: p ? `submit ${p.submitErrors}` : '—',
    ceiling: `storage-bound ${fmtRate(storageBound)} (best Tx ${fmtRate(txBest)} / ${r.writesPerOrder})`,
    ratio: fmtPct(ratio(p?.decidedPerSecond ?? NaN, storageBound)),
    data: { ...p, storageBoundCeiling: storageBound, ratioToStorageBound: ratio(p?.decidedPerSecond ?? NaN, storageBound) },
  });
  if (runQ) add({
    id: 'paced-pipeline',
    section: 4,
    what: `${pacedWhat(q)}: orders decided per second (accepted)`,
    load: pacedLoad,
    value: q ? `${fmtRate(q.decidedPerSecond)} (accepted ${fmtRate(q.submitRate)})` : '—',
    p50: fmtMs(q?.decisionP50),
    p99: fmtMs(q?.decisionP99),
    errors: q ? `submit ${q.submitErrors}` : '—',
    ceiling: q ? `offered ${fmtRate(q.sendRate)} · ${paceText(q)}` : '—',
    ratio: fmtPct(ratio(q?.decidedPerSecond ?? NaN, q?.sendRate ?? NaN)),
    data: { ...q, ratioToOffered: ratio(q?.decidedPerSecond ?? NaN, q?.sendRate ?? NaN), storageBoundCeiling: storageBound },
  });
  if (runP) add({
    id: 'pipeline-latency',
    section: 4,
    what: 'Pipeline: decision latency (202 → decision on bus)',
    load: `${r.config.pipeline.orders} orders`,
    value: fmtMs(p?.decisionP50),
    p50: fmtMs(p?.decisionP50),
    p99: fmtMs(p?.decisionP99),
    ceiling: `${r.writesPerOrder} × Tx p50 at ${levels[0]} = ${fmtMs(latencyFloor)}`,
    ratio: `p50 ${fmtTimes(ratio(p?.decisionP50 ?? NaN, latencyFloor))}`,
    data: { p50: p?.decisionP50, p99: p?.decisionP99, storageLatencyFloor: latencyFloor, stages: p?.stages },
  });
  if (runQ) add({
    id: 'paced-pipeline-latency',
    section: 4,
    what: `${pacedWhat(q)}: decision latency (202 → decision on bus)`,
    load: q ? `${q.orders} orders at ${fmtRate(q.pace)}` : pacedLoad,
    value: fmtMs(q?.decisionP50),
    p50: fmtMs(q?.decisionP50),
    p99: fmtMs(q?.decisionP99),
    ceiling: `${paceText(q)}; floor ${r.writesPerOrder} × Tx p50 = ${fmtMs(latencyFloor)}`,
    ratio: `p50 ${fmtTimes(ratio(q?.decisionP50 ?? NaN, latencyFloor))}`,
    data: { p50: q?.decisionP50, p99: q?.decisionP99, storageLatencyFloor: latencyFloor, stages: q?.stages, paceFrom: q?.paceFrom },
  });
  if (runQ) {
    const mine = savedCpu('paced-pipeline');
    const saturated = savedCpu('pipeline');
    add({
      id: 'paced-pipeline-cpu',
      section: 4,
      what: `${pacedWhat(q)}: CPU per order (whole machine)`,
      load: mine ? `${mine.completed} orders in ${(mine.wallMs / 1000).toFixed(1)} s` : pacedLoad,
      value: mine ? `${fmtCpu(mine.totalCpuMsPerUnit)} ms (${fmtPct(mine.utilisation)} busy)` : '—',
      ceiling: saturated ? `saturated ${fmtCpu(saturated.totalCpuMsPerUnit)} ms/order · ${paceText(q)}` : paceText(q),
      ratio: saturated && mine ? fmtTimes(ratio(mine.totalCpuMsPerUnit, saturated.totalCpuMsPerUnit)) : '—',
      data: { cpu: mine, saturatedCpuMsPerOrder: saturated?.totalCpuMsPerUnit },
    });
  }
  if (runP) add({
    id: 'notifications',
    section: 4,
    what: 'Pipeline: notifications sent (notifier table, SENT)',
    load: `${r.config.pipeline.orders} orders`,
    value: p ? `${p.notificationsSent}` : '—',
    errors: p ? `decided, not notified ${p.ordersWithoutNotification}` : '—',
    ceiling: p ? `${p.decided} decided` : '—',
    ratio: fmtPct(ratio(p?.notificationsSent ?? NaN, p?.decided ?? NaN)),
    data: { sent: p?.notificationsSent, decided: p?.decided, withoutNotification: p?.ordersWithoutNotification },
  });
  if (runP) add({
    id: 'lost',
    section: 4,
    what: 'Pipeline: lost (accepted, no decision by the deadline)',
    load: `${r.config.pipeline.orders} orders`,
    value: p ? `${p.lost}` : '—',
    errors: p ? `table: PENDING ${p.lostStatus.PENDING} · decided, no event ${p.lostStatus.decidedWithoutEvent} · missing ${p.lostStatus.missingFromTable}` : '—',
    ceiling: p ? `${p.accepted} accepted` : '—',
    ratio: fmtPct(ratio(p?.lost ?? NaN, p?.accepted ?? NaN)),
    data: { lost: p?.lost, accepted: p?.accepted, lostStatus: p?.lostStatus, sample: p?.lostSample },
  });
  if (runQ) add({
    id: 'paced-lost',
    section: 4,
    what: `${pacedWhat(q)}: lost (accepted, no decision by the deadline)`,
    load: q ? `${q.orders} orders` : pacedLoad,
    value: q ? `${q.lost}` : '—',
    errors: q ? `table: PENDING ${q.lostStatus.PENDING} · decided, no event ${q.lostStatus.decidedWithoutEvent} · missing ${q.lostStatus.missingFromTable}` : '—',
    ceiling: q ? `${q.accepted} accepted (${q.decided} decided)` : '—',
    ratio: fmtPct(ratio(q?.lost ?? NaN, q?.accepted ?? NaN)),
    data: { lost: q?.lost, accepted: q?.accepted, decided: q?.decided, lostStatus: q?.lostStatus, sample: q?.lostSample },
  });

  // 5. Start-up and cold loads.
  if (ran(r, 'startup')) add({
    id: 'npm-start',
    section: 5,
    what: 'npm start: spawn → "Local stack ready"',
    load: r.startup.templates ? (/reused/i.test(r.startup.templates) ? 'templates reused' : 'templates compiled') : '—',
    value: fmtMs(r.startup.stackReadyMs),
    ceiling: `bare serverless-offline ready ${fmtMs(r.startup.bareReadyMs)}`,
    ratio: fmtTimes(ratio(r.startup.stackReadyMs, r.startup.bareReadyMs)),
    data: { ...r.startup },
  });
  const bareNode = r.coldLoad?.bareNodeMs;
  for (const f of !ran(r, 'cold-load') ? [] : r.coldLoad?.functions ?? [{ service: '?', function: '?', loadMs: NaN, loadWithSourceMapsMs: NaN }]) {
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

/** Drops per-request detail from a burst before it goes into JSON. @param {any} burst */
const strip = (burst) => {
  if (!burst) return burst;
  return Object.fromEntries(Object.entries(burst).filter(([key]) => key !== 'answers'));
};

/**
 * The targets of issue #8, each with its verdict and, when missed, what holds it back.
 * @param {any} r
 */
export const evaluateTargets = (r) => {
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

  const burst = r.coldBurst.stack;
  if (!ran(r, 'burst')) notRun('cold-burst', 'Cold burst: 0 non-2xx, 0 non-JSON, 0 timeouts');
  else if (burst) {
    const bare = r.coldBurst.bare;
    add(
      'cold-burst',
      'Cold burst: 0 non-2xx, 0 non-JSON, 0 timeouts',
      `non-2xx ${burst.non2xx}, non-JSON ${burst.nonJson}, timeouts ${burst.timeouts} of ${burst.count}`,
      burst.non2xx === 0 && burst.nonJson === 0 && burst.timeouts === 0,
      [
        `answers by status: ${JSON.stringify(burst.statuses)}; slowest ${fmtMs(burst.maxMs)}; first bad answer: ${burst.badSample ?? '—'}`,
        bare ? `the bare serverless-offline function under the same burst: ${JSON.stringify(bare.statuses)}, p99 ${fmtMs(bare.p99)}` : 'no bare-function burst to compare',
      ],
    );
  } else add('cold-burst', 'Cold burst: 0 non-2xx, 0 non-JSON, 0 timeouts', 'not measured', false, [phaseError(r, 'cold burst')]);

  // The target names 50 connections; smoke mode only has 1, so it is judged there and says so.
  const c = Math.max(...r.config.levels);
  const get = at(r.gateway.getItem, c);
  const http = at(r.ceilings.http, c);
  const getItem = at(r.ceilings.getItem, c);
  const share = ratio(get?.rps ?? NaN, getItem?.rps ?? NaN);
  const heldGet = [];
  if (get && http && getItem) {
    const bareShare = ratio(http.rps, getItem.rps);
    if (bareShare < 0.5) heldGet.push(`serverless-offline itself: the bare function does ${fmtRate(http.rps)} at ${c} = ${fmtPct(bareShare)} of raw GetItem (${fmtRate(getItem.rps)}), so no handler behind it can reach 50%`);
    heldGet.push(`the stack's path (gateway → serverless-offline → handler → DynamoDB) does ${fmtRate(get.rps)} = ${fmtPct(ratio(get.rps, http.rps))} of the bare function; p99 ${fmtMs(get.p99)} vs bare ${fmtMs(http.p99)} and GetItem ${fmtMs(getItem.p99)}`);
    if (get.errors > 0) heldGet.push(`${get.errors} bad answers (${JSON.stringify(get.statuses)}), e.g. ${get.badSample ?? '—'}`);
    heldGet.push(...cpuHeldBack(r, `get-item@${c}`, (ceiling) => ` = ${fmtPct(ratio(ceiling, getItem.rps))} of GetItem ${fmtRate(getItem.rps)}`));
  } else heldGet.push(phaseError(r, 'GET /items/{id} load') || 'not measured');
  const getTarget = `GET /items/{id} at ${c} conn${c === 1 ? '' : 's'}: p99 ≤ 250 ms and ≥ 50% of raw GetItem throughput${c !== 50 ? ' (smoke: judged at 1 conn)' : ''}`;
  if (!ran(r, 'get')) notRun('get-item', getTarget);
  else add(
    'get-item',
    getTarget,
    get ? `p99 ${fmtMs(get.p99)}, ${fmtRate(get.rps)} = ${fmtPct(share)} of GetItem ${fmtRate(getItem?.rps)}` : 'not measured',
    get !== undefined && get.p99 <= 250 && share >= 0.5,
    heldGet,
  );

  // The pipeline: throughput from the saturated run, latency from the paced
  // one (under saturation latency is queueing), nothing lost in either.
  const p = r.pipeline;
  const q = r.paced;
  const runP = ran(r, 'pipeline');
  const runQ = ran(r, 'paced');
  const { storageBound } = storageBoundOf(r);
  const pipelineShare = ratio(p?.decidedPerSecond ?? NaN, storageBound);
  /** Each part of the target: true / false, or undefined when its phase did not run. */
  const parts = {
    throughput: runP ? Boolean(p) && pipelineShare >= 0.5 : undefined,
    latency: runQ ? Boolean(q) && q.decisionP50 <= 1000 : undefined,
    lostSaturated: runP ? Boolean(p) && p.lost === 0 : undefined,
    lostPaced: runQ ? Boolean(q) && q.lost === 0 : undefined,
  };
  const heldPipeline = [];
  if (parts.throughput === false || parts.lostSaturated === false) {
    if (p) {
      const stages = [...(p.stages ?? [])].filter((s) => finite(s.p50)).sort((a, b) => b.p50 - a.p50);
      if (stages.length > 0) heldPipeline.push(`saturated: slowest stage: ${stages[0].stage}, p50 ${fmtMs(stages[0].p50)} (p99 ${fmtMs(stages[0].p99)}); all stages p50: ${stages.map((s) => `${s.stage.split(' (')[0]} ${fmtMs(s.p50)}`).join('; ')}`);
      heldPipeline.push(`saturated: orders were accepted at ${fmtRate(p.submitRate)} and decided at ${fmtRate(p.decidedPerSecond)}; storage-bound ceiling ${fmtRate(storageBound)}`);
      if (p.lost > 0) heldPipeline.push(`saturated: ${p.lost} lost: ${JSON.stringify(p.lostStatus)} in the orders table, e.g. ${p.lostSample.join(', ')} (waited: ${p.decisionWait})`);
      if (p.submitErrors > 0) heldPipeline.push(`saturated: ${p.submitErrors} orders were not accepted, e.g. ${p.submitErrorSample}`);
      heldPipeline.push(...cpuHeldBack(r, 'pipeline', (ceiling) => ` orders = ${fmtPct(ratio(ceiling, storageBound))} of the storage-bound ${fmtRate(storageBound)}`));
    } else heldPipeline.push(phaseError(r, 'pipeline') || 'the saturated pipeline was not measured');
  }
  if (parts.latency === false || parts.lostPaced === false) {
    if (q) {
      const stages = [...(q.stages ?? [])].filter((s) => finite(s.p50)).sort((a, b) => b.p50 - a.p50);
      if (stages.length > 0) heldPipeline.push(`paced: slowest stage: ${stages[0].stage}, p50 ${fmtMs(stages[0].p50)} (p99 ${fmtMs(stages[0].p99)}); all stages p50: ${stages.map((s) => `${s.stage.split(' (')[0]} ${fmtMs(s.p50)}`).join('; ')}`);
      heldPipeline.push(`paced: offered ${fmtRate(q.sendRate)} (${paceText(q)}), accepted at ${fmtRate(q.submitRate)}, decided at ${fmtRate(q.decidedPerSecond)}`);
      if (q.lost > 0) heldPipeline.push(`paced: ${q.lost} lost: ${JSON.stringify(q.lostStatus)} in the orders table, e.g. ${q.lostSample.join(', ')} (waited: ${q.decisionWait})`);
      if (q.submitErrors > 0) heldPipeline.push(`paced: ${q.submitErrors} orders were not accepted, e.g. ${q.submitErrorSample}`);
      heldPipeline.push(...cpuHeldBack(r, 'paced-pipeline', (ceiling) => `; the pace ${fmtRate(q.pace)} is ${fmtPct(ratio(q.pace, ceiling))} of that`));
    } else heldPipeline.push(phaseError(r, 'paced pipeline') || 'the paced pipeline was not measured');
  }
  const values = Object.values(parts);
  const notRunParts = [...(runP ? [] : ['saturated pipeline']), ...(runQ ? [] : ['paced pipeline'])];
  // A miss stands whatever else did not run; otherwise say what is missing.
  if (!values.includes(false) && notRunParts.length > 0) heldPipeline.push(`not run: ${notRunParts.join(', ')} (--only ${r.config.only})`);
  const throughputText = !runP ? 'throughput not run' : p ? `${fmtRate(p.decidedPerSecond)} = ${fmtPct(pipelineShare)} of ${fmtRate(storageBound)}` : 'throughput not measured';
  const latencyText = [
    runQ ? (q ? `decision p50 ${fmtMs(q.decisionP50)} paced at ${fmtRate(q.pace)}` : 'paced latency not measured') : 'paced latency not run',
    ...(p ? [`saturated p50 ${fmtMs(p.decisionP50)} (queueing)`] : []),
  ].join(', ');
  const lostText = `lost ${runP ? (p ? p.lost : '—') : 'not run'} saturated + ${runQ ? (q ? q.lost : '—') : 'not run'} paced`;
  add(
    'pipeline',
    'Pipeline: ≥ 50% of the storage-bound ceiling (saturated), decision p50 ≤ 1 s (paced: under saturation latency is queueing), 0 lost (both)',
    !runP && !runQ ? `not run (--only ${r.config.only})` : `${throughputText}; ${latencyText}; ${lostText}`,
    values.includes(false) ? false : values.every((v) => v === true) ? true : values.every((v) => v === undefined) ? 'NOT RUN' : 'INCOMPLETE',
    heldPipeline,
  );

  const ready = r.startup.stackReadyMs;
  const phases = [...(r.startup.phases ?? [])].sort((a, b) => b.ms - a.ms);
  if (!ran(r, 'startup')) notRun('npm-start', 'npm start ready ≤ 12 s');
  else add(
    'npm-start',
    'npm start ready ≤ 12 s',
    fmtMs(ready),
    finite(ready) && ready <= 12_000,
    [
      phases.length > 0 ? `longest phase: ${phases[0].phase} ${fmtMs(phases[0].ms)}; all: ${r.startup.phases.map((/** @type {any} */ ph) => `${ph.phase} ${fmtMs(ph.ms)}`).join('; ')}` : 'no phase markers in the stack output',
      `one bare serverless-offline service alone is ready in ${fmtMs(r.startup.bareReadyMs)}`,
      ...(r.startup.templates ? [`the stack said: ${r.startup.templates}`] : []),
    ],
  );
  return targets;
};

/** @param {any} r @param {string} phase */
const phaseError = (r, phase) => {
  const failure = r.failures.find((/** @type {any} */ f) => f.phase === phase);
  return failure ? `the ${phase} phase failed: ${failure.error}` : '';
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

/**
 * Prints the report and writes bench.json and bench.md to `outDir`.
 * @param {{ results: any, outDir: string, print?: (text: string) => void }} options
 */
export const writeReport = ({ results, outDir, print = console.log }) => {
  const rows = buildRows(results);
  const targets = evaluateTargets(results);
  const notes = results.notes;
  const table = [COLUMNS, ...rows.map((row) => [String(row.section), row.what, row.load, row.value, row.p50, row.p99, row.errors, row.ceiling, row.ratio])];
  const targetLines = targets.flatMap((t) => [`${t.verdict}  ${t.target}: ${t.measured}`, ...(t.heldBackBy ?? []).map((/** @type {string} */ why) => `      held back by: ${why}`)]);
  const title = `Bench (${results.config.mode}, ${results.meta.cpus} CPUs, node ${results.meta.node}) — ${results.meta.startedAt}, took ${fmtMs(results.meta.durationMs)}`;

  const cpu = cpuLines(results);
  const cpuSection = cpu.length > 0 ? ['', 'Where the CPU goes', ...cpu.map((l) => `  ${l}`)] : [];
  print([title, '', renderText(table), ...cpuSection, '', 'Targets', ...targetLines.map((l) => `  ${l}`), '', 'Notes', ...notes.map((/** @type {string} */ n) => `  - ${n}`)].join('\n'));

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
    '## Targets',
    '',
    ...targets.flatMap((t) => [`- **${t.verdict}** ${t.target}: ${t.measured}`, ...(t.heldBackBy ?? []).map((/** @type {string} */ why) => `  - held back by: ${why}`)]),
    '',
    '## Notes',
    '',
    ...notes.map((/** @type {string} */ n) => `- ${n}`),
    '',
  ].join('\n');
  writeFileSync(path.join(outDir, 'bench.md'), md);
  return { rows, targets };
};
