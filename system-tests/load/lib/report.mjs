// The load scenario's part of the bench's table: the stack's HTTP path
// against both ceilings (section 2), the order pipeline, saturated and paced
// (section 4), and the targets for them (issue #8), built with the engine's
// helpers (@platform/bench/lib/table), which also make the rows and targets
// of the ceilings, the cold burst, start-up and cold loads.
import { ratio } from '@platform/bench/lib/stats';
import { at, bestRate, cpuHeldBack, errorText, finite, fmtCpu, fmtMs, fmtPct, fmtRate, fmtTimes, phaseError, ran, rowList, targetList } from '@platform/bench/lib/table';

/**
 * @typedef {import('@platform/bench/lib/table').Row} Row
 * @typedef {import('@platform/bench/lib/table').Target} Target
 * @typedef {import('@platform/bench/lib/cpu').CpuPhase} CpuPhase
 */

/**
 * The pipeline's storage-bound ceiling: the best raw transaction rate over
 * the transactions one order needs.
 * @param {any} r
 */
const storageBoundOf = (r) => {
  const txBest = bestRate(r.ceilings.transaction);
  return { txBest, storageBound: txBest / r.writesPerOrder };
};

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

/**
 * The scenario's rows: sections 2 and 4.
 * @param {any} r the bench's results (see ../bench.mjs)
 * @returns {Row[]}
 */
export const buildRows = (r) => {
  // A row names what it measured; what it leaves out reads as '—'.
  const { rows, add } = rowList();
  const levels = r.config.levels;

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

  // 4. Pipeline: saturated, and beside each of its rows the paced one's.
  const p = r.pipeline;
  const q = r.paced;
  const runP = ran(r, 'pipeline');
  const runQ = ran(r, 'paced');
  const { txBest, storageBound } = storageBoundOf(r);
  const tx1 = at(r.ceilings.transaction, levels[0]);
  const latencyFloor = (tx1?.p50 ?? NaN) * r.writesPerOrder;
  const pacedLoad = q ? `${q.orders} orders / ${q.items} items, open loop ${q.durationS} s` : `open loop ${r.config.paced?.durationS ?? '—'} s`;
  const savedCpu = (/** @type {string} */ id) => (r.cpu?.phases ?? []).find((/** @type {CpuPhase} */ ph) => ph.id === id);
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

  rows.push(...imagesRows(r));
  return rows;
};

/** Bytes as KB with one decimal. @param {number | undefined} bytes */
const fmtKb = (bytes) => (typeof bytes === 'number' && Number.isFinite(bytes) ? `${(bytes / 1024).toFixed(1)} KB` : '—');

/**
 * Item images (issue #20): the raw PutObject ceiling (section 1), and beside it
 * the uploads a client makes, seen through to the item (section 4).
 * @param {any} r the bench's results (see ../bench.mjs)
 * @returns {Row[]}
 */
export const imagesRows = (r) => {
  const { rows, add } = rowList();
  if (!ran(r, 'images')) return rows;
  const m = r.images;
  const config = r.config.images ?? {};
  const c = m?.concurrency ?? config.concurrency;
  const ceiling = m?.ceiling;
  const toCeiling = ratio(m?.uploadsPerSecond ?? NaN, ceiling?.rps ?? NaN);
  const latencyToPut = ratio(m?.visibleP50 ?? NaN, ceiling?.p50 ?? NaN);
  add({
    id: `s3-put-ceiling@${c}`,
    section: 1,
    what: 'Storage ceiling: local S3 PutObject (admin key, raw)',
    load: ceiling ? `${ceiling.count} × ${fmtKb(ceiling.bytes)}, ${c} conc` : `${config.ceilingPuts ?? '—'} puts, ${c} conc`,
    value: fmtRate(ceiling?.rps),
    p50: fmtMs(ceiling?.p50),
    p99: fmtMs(ceiling?.p99),
    errors: ceiling ? `${ceiling.errors}` : '—',
    data: { ...ceiling },
  });
  const errors = m ? `${m.errors}${m.errors > 0 ? ` (grant ${m.failed.grant}, form POST ${m.failed.post}, not visible ${m.failed.notVisible})` : ''}` : '—';
  add({
    id: 'images',
    section: 4,
    what: 'Item images: uploads per second (grant → form POST to S3 → image on the item)',
    load: m ? `${m.uploads} uploads / ${m.items} items, ${c} conc` : `${config.uploads ?? '—'} uploads, ${c} conc`,
    value: fmtRate(m?.uploadsPerSecond),
    p50: fmtMs(m?.visibleP50),
    p99: fmtMs(m?.visibleP99),
    errors,
    ceiling: `raw PutObject ${fmtRate(ceiling?.rps)} at ${c}`,
    ratio: fmtPct(toCeiling),
    data: { ...m, ceiling: undefined, putCeilingRps: ceiling?.rps, ratioToPutCeiling: toCeiling },
  });
  add({
    id: 'images-latency',
    section: 4,
    what: 'Item images: upload-to-visible latency (storage 2xx → first GET /items/{id} showing it)',
    load: m ? `${m.visible} uploads, GET every ${m.pollMs} ms` : '—',
    value: m ? `p50 ${fmtMs(m.visibleP50)} · p95 ${fmtMs(m.visibleP95)} · max ${fmtMs(m.visibleMax)}` : '—',
    p50: fmtMs(m?.visibleP50),
    p99: fmtMs(m?.visibleP99),
    errors,
    ceiling: `raw PutObject p50 ${fmtMs(ceiling?.p50)} at ${c}`,
    ratio: `p50 ${fmtTimes(latencyToPut)}`,
    data: { p50: m?.visibleP50, p95: m?.visibleP95, p99: m?.visibleP99, max: m?.visibleMax, putP50: ceiling?.p50, ratioToPutP50: latencyToPut },
  });
  return rows;
};

/**
 * How the image figures were measured, and what their ratios mean.
 * @param {any} r @param {{ runs: (name: string) => boolean }} context
 * @returns {string[]}
 */
export const imagesNotes = (r, { runs }) => {
  if (!runs('images')) return [];
  const m = r.images;
  if (!m) return [];
  const notes = [
    `Item images: ${m.uploads} uploads of one ${fmtKb(m.bytes)} PNG by ${m.concurrency} closed-loop workers over ${m.items} items (each worker owns its own, one upload pending per item at a time; the API allows 3), after ${m.warmup?.uploads ?? 0} untimed warm-up uploads. Each: POST /items/{id}/image-uploads (staff token) → multipart POST of the form's fields, then the file, to its presigned URL on the local S3 → GET /items/{id} every ${m.pollMs} ms until the image's URL names the upload's image id. Uploads/s = images seen on their item / wall time of the run (${fmtMs(m.wallMs)}); latency = storage's answer to the form POST → the answer of the first GET showing the image (so it includes up to one poll interval and one GET). Grant p50 ${fmtMs(m.grantP50)}; form POST p50 ${fmtMs(m.postP50)} / p95 ${fmtMs(m.postP95)}; whole upload p50 ${fmtMs(m.cycleP50)}; GETs per upload p50 ${m.pollsP50 ?? '—'}. Its CPU line covers the timed uploads only (first grant → last image seen), polls included.`,
    `Item images ceiling and ratios: raw PutObject of the same bytes to the same local S3 endpoint (admin key, path-style, under bench/ so no notification fires, deleted after), ${m.ceiling?.count ?? '—'} puts at the same concurrency after ${m.concurrency} untimed, in the same run. The uploads/s ratio is the share of that raw write rate a client's whole upload gets: the rest is the grant (createImageUpload: a DynamoDB transaction and a signature), the form's policy, signature and IAM checks, the notification through its queue, processImage (a ranged read, a copy, a delete and the item's conditional update) and the polls. Each worker waits to see its image before the next, so uploads/s ≈ concurrency ÷ whole upload time: it follows the latency, not storage. The latency ratio is how many raw puts' time the path from stored to visible takes.`,
  ];
  if (m.errors > 0) notes.push(`Item images: ${m.errors} of ${m.uploads} uploads failed (grant ${m.failed.grant}, form POST ${m.failed.post}, not visible ${m.failed.notVisible}), e.g. ${m.errorSample}.`);
  if (m.ceiling?.errors > 0) notes.push(`Item images ceiling: ${m.ceiling.errors} raw puts failed, e.g. ${m.ceiling.errorSample}.`);
  return notes;
};

/**
 * The scenario's targets of issue #8 (GET /items/{id} and the pipeline), each with its verdict
 * and, when missed, what holds it back. The engine's (cold burst, start-up) come before and after.
 * @param {any} r
 * @returns {Target[]}
 */
export const evaluateTargets = (r) => {
  const { targets, add, notRun } = targetList(r);

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

  return targets;
};
