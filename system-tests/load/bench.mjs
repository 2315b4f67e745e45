#!/usr/bin/env node
// `npm run bench`: how the local stack performs, each figure beside its
// ceiling measured in the same run (absolute times on a shared machine are
// noise; ratios are not). Starts its own stack on free ports, so it runs
// beside a developer's `npm start`. The platform's engine (@platform/bench)
// measures the ceilings, start-up, the cold burst, CPU and cold loads; this
// file is the load scenario of the catalog and orders it runs with: the
// GET /items/{id} and POST /orders loads, the order pipeline, and their rows,
// targets and notes (lib/report.mjs).
//   npm run bench                    full run (about 5 minutes on 2 cores)
//   npm run bench -- --smoke         tiny counts, for the test (the cold burst stays 100)
//   npm run bench -- --out DIR       where bench.json and bench.md go (default dist/bench)
//   npm run bench -- --only LIST     only these phases (comma-separated), plus what they need:
//       startup    npm start's ready time, beside a bare serverless-offline function's
//       burst      the cold burst on the fresh stack, beside the same burst on a fresh bare function
//       http       the HTTP ceiling (the bare function under load)
//       storage    the storage ceilings (= storage-getitem + storage-tx)
//       get        GET /items/{id} load          (needs http, storage-getitem)
//       pipeline   the saturated pipeline        (needs storage-tx)
//       paced      the paced pipeline            (needs pipeline for its pace, unless --pace; and storage-tx)
//       images     item image uploads (grant → form POST to the local S3 → the image on the item),
//                  beside raw PutObject of the same bytes to the local S3 (measured within the phase)
//       post       POST /orders load             (needs http, storage-tx)
//       cold-load  cold loads of the packaged functions (no stack)
//     What a phase needs is the ceiling its rows are set beside (or, for paced,
//     the rate it is paced at). Phases not run are absent from the table and
//     their targets say "not run". E.g. `--only pipeline,paced`, `--only get`.
//   npm run bench -- --pace N        pace the paced pipeline at N orders/s instead of 50% of
//                                    the saturated pipeline's CPU-bound ceiling
// The pipeline is measured twice: saturated (10 closed-loop clients as fast as
// they go: its throughput, set beside the storage-bound ceiling; its latency is
// mostly queueing), then paced (an open loop at 50% of the CPU-bound rate the
// saturated run measured, 20 s: the decision latency when the stack keeps up).
// Item images (issue #20) are measured as a client uploads one: ask items-api
// for a form, POST the file with it to the local S3, read the item until it
// shows the image (S3 notification → queue → processImage). Closed loop: each
// of a few workers owns its items and waits for each image to be visible
// before its next upload. Beside it, in the same phase: raw PutObject of the
// same bytes to the same local S3 endpoint at the same concurrency (admin key).
// The order of the phases matters: the cold burst comes first, before
// anything warms the stack; the pipelines and the image uploads run before the
// POST /orders load, whose orders keep the saga busy long after it stops.
import { randomUUID } from 'node:crypto';
import { dynamoClient } from '@platform/bench/lib/dynamo-ceiling';
import { cycle, loadLevel } from '@platform/bench/lib/http-load';
import { runBench } from '@platform/bench/lib/run';
import { sleep } from '@platform/bench/lib/stats';
import { benchCallers } from './lib/callers.mjs';
import { captureOrders, createItems, drain, runPacedPipeline, runPipeline, WRITES_NOTE, WRITES_PER_ORDER } from './lib/pipeline.mjs';
import { buildRows, evaluateTargets, imagesNotes } from './lib/report.mjs';
import { costSection, startUsage } from '@platform/bench/lib/cost';
import { costInputOf } from './lib/cost.mjs';
import { benchPng, CEILING_PREFIX, IMAGES_BUCKET, runImageUploads } from './lib/images.mjs';
import { measurePutCeiling, s3Client } from '@platform/bench/lib/s3-ceiling';

/**
 * @typedef {import('@platform/bench/lib/run').BenchScenario} BenchScenario
 * @typedef {import('@platform/bench/lib/run').BenchContext} BenchContext
 * @typedef {{ callers: Awaited<ReturnType<typeof benchCallers>>, capture: import('./lib/pipeline.mjs').Capture }} State
 */

/** The scenario's figures, beside the engine's (levels, run lengths, the burst's size, cold-load runs). */
const MODES = {
  full: {
    pipeline: { orders: 1_000, items: 50, stock: 18, concurrency: 10 },
    // Stock to spare: every paced order is confirmed.
    paced: { durationS: 20, items: 20, stock: 10_000, share: 0.5 },
    // Two items per worker; one upload pending per item at a time (the API allows 3).
    images: { uploads: 100, items: 8, concurrency: 4, warmup: 4, ceilingPuts: 1_000, pngSide: 32, pollMs: 50, visibleTimeoutMs: 60_000 },
  },
  smoke: {
    pipeline: { orders: 20, items: 5, stock: 3, concurrency: 4 },
    paced: { durationS: 5, items: 4, stock: 10_000, share: 0.5 },
    images: { uploads: 5, items: 2, concurrency: 2, warmup: 2, ceilingPuts: 40, pngSide: 32, pollMs: 50, visibleTimeoutMs: 30_000 },
  },
};
// A failed SQS record waits out its queue's 36 s visibility timeout before
// its retry: a shorter stall would call a slow order lost.
const STALL_MS = 45_000;

/**
 * The paced pipeline's rate: --pace, or a share of the CPU-bound ceiling the
 * saturated pipeline measured, or (without /proc) of the rate it decided at.
 * @param {Record<string, any>} config @param {Record<string, any>} results
 * @returns {{ rate: number, source: 'option' | 'cpu-bound' | 'decided-rate', basis: number, share: number }}
 */
const pacedRate = (config, results) => {
  const { share } = config.paced;
  const { pace } = config;
  if (pace !== undefined) return { rate: pace, source: 'option', basis: pace, share: 1 };
  const ceiling = results.cpu.phases.find((/** @type {import('@platform/bench/lib/cpu').CpuPhase} */ p) => p.id === 'pipeline')?.cpuBoundCeiling;
  if (ceiling !== undefined && Number.isFinite(ceiling) && ceiling > 0) return { rate: ceiling * share, source: 'cpu-bound', basis: ceiling, share };
  const decided = results.pipeline?.decidedPerSecond;
  if (Number.isFinite(decided) && decided > 0) return { rate: decided * share, source: 'decided-rate', basis: decided, share };
  throw new Error('no pace: the saturated pipeline measured neither a CPU-bound ceiling nor a decided rate (give --pace N)');
};

/**
 * Starts counting what the stack uses (its usage meter), or undefined when it cannot: the
 * cost model then lacks that phase, and the bench goes on.
 * @param {string} apiUrl
 */
const usageFrom = (apiUrl) => startUsage(apiUrl).catch(() => undefined);

/**
 * 2 and 4. The loads on the stack's own API: GET, the pipelines, POST /orders.
 * @param {BenchContext} ctx
 */
const run = async (ctx) => {
  const { stack, config, results, runs, phase, progress, cpu, cpuLevel, state } = ctx;
  const { callers, capture } = /** @type {State} */ (state);
  const dynamodb = dynamoClient(stack.dynamodbEndpoint);
  ctx.cleanup(async () => dynamodb.destroy());
  // Items: the pipeline's (little stock, reads spread over them for GET), the
  // paced pipeline's (stock to spare), and one with stock to spare for the
  // POST /orders load. Each only if a phase run uses it.
  progress.update('creating items');
  const items = await phase('items', async () => ({
    pipeline: runs('get') || runs('pipeline') ? await createItems({ apiUrl: stack.apiUrl, count: config.pipeline.items, stock: config.pipeline.stock, headers: callers.staff }) : [],
    paced: runs('paced') ? await createItems({ apiUrl: stack.apiUrl, count: config.paced.items, stock: config.paced.stock, headers: callers.staff }) : [],
    plenty: runs('post') ? (await createItems({ apiUrl: stack.apiUrl, count: 1, stock: 1_000_000, headers: callers.staff }))[0] : undefined,
    images: runs('images') ? await createItems({ apiUrl: stack.apiUrl, count: config.images.items, stock: 1, headers: callers.staff }) : [],
  }));
  // Their item.created events go through the outbox relay; let that settle.
  // The last 1.5 s of it show what the stack spends doing nothing (its pollers).
  await sleep(500);
  const idle = cpu.start();
  await sleep(1_500);
  results.cpu.phases.push(idle.stop({ id: 'idle', what: 'Idle stack between phases', unit: 's', completed: (wallMs) => wallMs / 1000 }));
  if (!items) return;

  if (runs('get')) {
    await phase('GET /items/{id} load', async () => {
      const used = await usageFrom(stack.apiUrl);
      const nextId = cycle(items.pipeline);
      for (const connections of config.levels) {
        const step = `GET /items/{id} at ${connections} conn`;
        progress.update(step);
        const { cpu: cpuUse, ...level } = await loadLevel({
          baseUrl: stack.apiUrl,
          connections,
          ...config.http,
          next: () => ({ method: 'GET', path: `/items/${nextId()}` }),
          onRun: (run) => progress.update(step, `run ${run}/${config.http.runs}`),
          ...(connections === cpuLevel ? { cpu: { meter: cpu, id: `get-item@${connections}`, what: `GET /items/{id} @${connections}` } } : {}),
        });
        results.gateway.getItem.push(level);
        if (cpuUse) results.cpu.phases.push(cpuUse);
      }
      if (used) results.usage.get = { delta: await used.stop() };
    });
  }

  const capMs = config.mode === 'smoke' ? 90_000 : 240_000;
  if (runs('pipeline')) {
    const { orders, concurrency, stock } = config.pipeline;
    const step = `pipeline: ${orders} orders over ${items.pipeline.length} items`;
    progress.update(step);
    const pipelineUsage = await usageFrom(stack.apiUrl);
    const pipeline = await phase('pipeline', () =>
      runPipeline({ apiUrl: stack.apiUrl, capture, dynamodb, itemIds: items.pipeline, stock, orders, concurrency, stallMs: STALL_MS, capMs, onProgress: (d) => progress.update(step, d), cpu, customer: callers.customer }),
    );
    if (pipeline) {
      const { cpu: cpuUse, ...rest } = pipeline;
      results.pipeline = rest;
      if (cpuUse) results.cpu.phases.push(cpuUse);
      if (pipelineUsage) results.usage.pipeline = { delta: await pipelineUsage.stop(), units: rest.decided };
    }
  }

  // The paced pipeline, right after the saturated one whose CPU-bound ceiling sets its pace.
  if (runs('paced')) {
    const paced = await phase('paced pipeline', async () => {
      const from = pacedRate(config, results);
      const { durationS, stock } = config.paced;
      const step = `paced pipeline: ${from.rate.toFixed(1)} orders/s for ${durationS} s over ${items.paced.length} items`;
      progress.update(step);
      // The saturated run's last notifications may still be on their way; let the stack go quiet.
      await sleep(1_000);
      const used = await usageFrom(stack.apiUrl);
      const measured = await runPacedPipeline({ apiUrl: stack.apiUrl, capture, dynamodb, itemIds: items.paced, stock, rate: from.rate, durationS, stallMs: STALL_MS, capMs, onProgress: (d) => progress.update(step, d), cpu, customer: callers.customer });
      if (used) results.usage.paced = { delta: await used.stop(), units: measured.decided };
      return { ...measured, paceFrom: from };
    });
    if (paced) {
      const { cpu: cpuUse, ...rest } = paced;
      results.paced = rest;
      if (cpuUse) results.cpu.phases.push(cpuUse);
    }
  }

  // Item images, after the pipelines (quiet by now) and before the POST /orders load (whose saga runs on).
  if (runs('images')) {
    const measured = await phase('images', async () => {
      const { uploads, concurrency, warmup, ceilingPuts, pngSide, pollMs, visibleTimeoutMs } = config.images;
      if (!stack.s3Endpoint) throw new Error('the local stack names no S3 endpoint (stack.s3Endpoint)');
      const png = benchPng({ side: pngSide });
      const step = `images: ${uploads} uploads over ${items.images.length} items, ${concurrency} at a time`;
      progress.update(step);
      // The pipelines' last notifications may still be on their way; let the stack go quiet.
      if (runs('pipeline') || runs('paced')) await sleep(1_000);
      /** @type {ReturnType<typeof cpu.start> | undefined} */
      let meter;
      const measured = await runImageUploads({
        apiUrl: stack.apiUrl,
        itemIds: items.images,
        staff: callers.staff,
        png,
        uploads,
        concurrency,
        warmup,
        pollMs,
        visibleTimeoutMs,
        onProgress: (d) => progress.update(step, d),
        onStart: () => {
          meter = cpu.start();
        },
        onUpload: () => meter?.mark(),
      });
      const cpuUse = meter?.stop({ id: 'images', what: 'Item image uploads', unit: 'upload', completed: measured.visible });
      // The ceiling: the same bytes, straight to the same S3 endpoint, at the same concurrency.
      const s3 = s3Client(stack.s3Endpoint);
      ctx.cleanup(async () => s3.destroy());
      const ceilingStep = `images ceiling: ${ceilingPuts} raw PutObject to the local S3, ${concurrency} at a time`;
      progress.update(ceilingStep);
      const ceiling = await measurePutCeiling({ client: s3, bucket: IMAGES_BUCKET, prefix: CEILING_PREFIX, body: png, contentType: 'image/png', count: ceilingPuts, concurrency, onProgress: (d) => progress.update(ceilingStep, d) });
      return { ...measured, ceiling, cpu: cpuUse };
    });
    if (measured) {
      const { cpu: cpuUse, ...rest } = measured;
      results.images = rest;
      if (cpuUse) results.cpu.phases.push(cpuUse);
    }
  }

  // The cost model, from what the stack used during the GET load and the pipelines (lib/cost.mjs).
  await phase('cost model', async () => {
    const input = costInputOf(results.usage);
    if (input) results.cost = { input, priced: costSection(input).priced };
  });

  if (runs('post') && items.plenty) {
    await phase('POST /orders load', async () => {
      const body = JSON.stringify({ itemId: items.plenty, quantity: 1 });
      for (const connections of config.levels) {
        const step = `POST /orders at ${connections} conn`;
        progress.update(step);
        const { cpu: cpuUse, ...level } = await loadLevel({
          baseUrl: stack.apiUrl,
          connections,
          ...config.http,
          next: () => ({ method: 'POST', path: '/orders', body, headers: { 'content-type': 'application/json', ...callers.customer } }),
          onRun: (run) => progress.update(step, `run ${run}/${config.http.runs}`),
          ...(connections === cpuLevel ? { cpu: { meter: cpu, id: `post-orders@${connections}`, what: `POST /orders @${connections}` } } : {}),
        });
        results.gateway.postOrders.push(level);
        if (cpuUse) results.cpu.phases.push(cpuUse);
      }
    });
  }
};

/**
 * The notes under the table: how the scenario's figures were measured.
 * @param {Record<string, any>} results @param {{ runs: (name: string) => boolean, cpuLevel: number }} context
 * @returns {string[]}
 */
const notes = (results, { runs }) => {
  const notes = [];
  if (runs('pipeline') || runs('paced')) notes.push(`Pipeline storage-bound ceiling = best 2-item TransactWriteItems rate / ${WRITES_PER_ORDER} (the storage ceiling's transaction has the shape of reserveStock's): ${WRITES_NOTE}.`);
  const p = results.pipeline;
  if (p) {
    notes.push(
      `Pipeline (saturated): ${p.accepted}/${p.orders} accepted at ${Math.round(p.submitRate)}/s by ${p.submitConcurrency} closed-loop clients; ${p.decided} decided (${p.confirmed} confirmed, expected ${p.expectedConfirmed}; ${p.rejected} rejected ${JSON.stringify(p.rejectReasons)}); oversold ${p.oversold}; bus vs orders table disagreements ${p.tableDisagreements}; waited until ${p.decisionWait}.`,
      `Pipeline (saturated) stages (p50 / p99): ${p.stages.map((/** @type {any} */ s) => `${s.stage} ${Math.round(s.p50)} / ${Math.round(s.p99)} ms`).join('; ')}.`,
    );
  }
  const q = results.paced;
  if (q) {
    const from =
      q.paceFrom.source === 'option'
        ? 'given by --pace'
        : `${Math.round(q.paceFrom.share * 100)}% of the saturated pipeline's ${q.paceFrom.source === 'cpu-bound' ? 'CPU-bound ceiling' : 'decided rate (no CPU-bound ceiling measured)'} ${q.paceFrom.basis.toFixed(1)}/s`;
    notes.push(
      `Pipeline (paced): open loop, order i sent at i / ${q.pace.toFixed(1)} s whatever became of the earlier ones, for ${q.durationS} s (pace ${from}); ${q.submitted} sent at ${q.sendRate.toFixed(1)}/s (the bench's own lateness on its schedule p50 ${Math.round(q.sendLagP50)} / p99 ${Math.round(q.sendLagP99)} / max ${Math.round(q.sendLagMax)} ms); ${q.accepted} accepted at ${q.submitRate.toFixed(1)}/s; ${q.decided} decided (${q.confirmed} confirmed, expected ${q.expectedConfirmed}; ${q.rejected} rejected ${JSON.stringify(q.rejectReasons)}); ${q.notificationsSent} notified; oversold ${q.oversold}; bus vs orders table disagreements ${q.tableDisagreements}; waited until ${q.decisionWait}.`,
      `Pipeline (paced) stages (p50 / p99): ${q.stages.map((/** @type {any} */ s) => `${s.stage} ${Math.round(s.p50)} / ${Math.round(s.p99)} ms`).join('; ')}.`,
    );
  }
  if (results.cpu.phases.some((/** @type {{ id: string }} */ phase) => phase.id === 'pipeline' || phase.id === 'paced-pipeline')) {
    notes.push(
      'CPU of each pipeline is measured from its first submission to the last decision seen (the paced one includes what the stack spends idling between orders); POST /orders CPU includes the saga still working on orders accepted earlier.',
    );
  }
  notes.push(...imagesNotes(results, { runs }));
  if (runs('post')) notes.push('POST /orders load runs last: every accepted order enters the saga, which keeps running beside the later connection levels (as it would in use).');
  for (const level of [...results.gateway.getItem, ...results.gateway.postOrders]) {
    if (level.badSample) notes.push(`Bad answer at ${level.connections} conn (${JSON.stringify(level.statuses)}): ${level.badSample}`);
  }
  return notes;
};

/** The catalog and orders load, as the bench engine takes it. @type {BenchScenario} */
export const scenario = {
  modes: MODES,
  phases: [
    { name: 'get', needs: () => ['http', 'storage-getitem'], load: true },
    { name: 'pipeline', needs: () => ['storage-tx'] },
    // The paced pipeline takes its pace from the saturated one, unless --pace gives it.
    { name: 'paced', needs: ({ pace }) => (pace === undefined ? ['pipeline', 'storage-tx'] : ['storage-tx']) },
    // Its ceiling (raw PutObject to the local S3) is measured within the phase.
    { name: 'images' },
    { name: 'post', needs: () => ['http', 'storage-tx'], load: true },
  ],
  options: { pace: { type: 'string' } },
  parseOptions: (values, usageError) => {
    const pace = values.pace === undefined ? undefined : Number(values.pace);
    if (pace !== undefined && !(Number.isFinite(pace) && pace > 0)) usageError(`--pace wants a positive number of orders per second, got "${values.pace}"`);
    return { pace };
  },
  usage: {
    synopsis: ' [-- --pace ORDERS_PER_S]',
    needs: 'get → http, storage-getitem; post → http, storage-tx; pipeline → storage-tx;\n                  paced → pipeline (unless --pace), storage-tx; images → nothing (its ceiling is its own).',
    example: ' E.g. --only pipeline,paced',
    options: [
      '  --pace N        pace the paced pipeline at N orders/s (default: 50% of the CPU-bound ceiling',
      '                  the saturated pipeline measured; 50% of its decided rate when that is unknown)',
    ],
  },
  results: () => ({
    writesPerOrder: WRITES_PER_ORDER,
    /** What the stack used during the GET load and each pipeline (the usage meter's counters), and the units of work each did. */
    usage: /** @type {Record<string, { delta: Record<string, any>, units?: number }>} */ ({}),
    /** The cost model's input (counts per unit of work) and its priced figures: `npm run cost` prices the input again. */
    cost: /** @type {any} */ (undefined),
    gateway: { getItem: /** @type {any[]} */ ([]), postOrders: /** @type {any[]} */ ([]) },
    pipeline: /** @type {any} */ (undefined),
    /** The paced pipeline, and where its pace came from. */
    paced: /** @type {any} */ (undefined),
    /** Item image uploads, and the raw PutObject ceiling beside them (lib/images.mjs). */
    images: /** @type {any} */ (undefined),
  }),
  // The bench calls the API as its users do (staff, a customer), and follows each order on the bus.
  setup: async (ctx) => {
    const callers = await benchCallers();
    // The capture queue lives in fauxqs only: creating it warms no function.
    const capture = await captureOrders({ endpoint: ctx.stack.snsSqsEndpoint });
    ctx.cleanup(() => capture.stop());
    return { callers, capture };
  },
  // The item does not exist (creating one would warm items-api): each order is accepted, then rejected ITEM_NOT_FOUND.
  burst: {
    what: 'POST /orders',
    request: ({ state }) => {
      const unknownItem = randomUUID();
      return { method: 'POST', path: '/orders', body: () => ({ itemId: unknownItem, quantity: 1 }), headers: /** @type {State} */ (state).callers.customer };
    },
    settle: async ({ state, progress }, burst) => {
      const burstOrders = burst.answers.filter((a) => a.status === 202 && a.json?.orderId).map((a) => a.json.orderId);
      return drain({ capture: /** @type {State} */ (state).capture, orderIds: burstOrders, stallMs: STALL_MS, capMs: 120_000, onProgress: (d) => progress.update('waiting for the cold burst orders to be decided', d) });
    },
    note: (results) =>
      `Cold burst orders name an item that does not exist, so creating an item does not warm the stack first; each is accepted (202) and then rejected ITEM_NOT_FOUND${results.coldBurst.drained ? ` (${results.coldBurst.drained.decided}/${results.coldBurst.drained.of} decided before the next phase: ${results.coldBurst.drained.reason})` : ''}.`,
  },
  run,
  rows: buildRows,
  targets: evaluateTargets,
  notes,
  sections: (results) => (results.cost?.input ? [costSection(results.cost.input).section] : []),
};

await runBench({ scenario });
