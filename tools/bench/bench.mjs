#!/usr/bin/env node
// `npm run bench`: how the local stack performs, each figure beside its
// ceiling measured in the same run (absolute times on a shared machine are
// noise; ratios are not). Starts its own stack on free ports, so it runs
// beside a developer's `npm start`.
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
// The order of the phases matters: the cold burst comes first, before
// anything warms the stack; the pipelines run before the POST /orders load,
// whose orders keep the saga busy long after it stops.
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { measureColdLoads } from './cold-start.mjs';
import { coldBurst } from './lib/burst.mjs';
import { startCapture } from './lib/capture.mjs';
import { clockTicksPerSecond, createCpuMeter } from './lib/cpu.mjs';
import { createScratchTable, dropScratchTable, dynamoClient, measureLevel, operations } from './lib/dynamo-ceiling.mjs';
import { cycle, loadLevel } from './lib/http-load.mjs';
import { benchCallers } from './lib/callers.mjs';
import { createItems, drain, runPacedPipeline, runPipeline, WRITES_NOTE, WRITES_PER_ORDER } from './lib/pipeline.mjs';
import { createProgress } from './lib/progress.mjs';
import { writeReport } from './lib/report.mjs';
import { ROOT, startBareFunction, startStack, startupPhases, templateReuse } from './lib/stack.mjs';
import { sleep } from './lib/stats.mjs';

const MODES = {
  full: {
    levels: [1, 10, 50],
    http: { durationS: 4, runs: 3, warmupS: 1 },
    dynamo: { durationMs: 3_000, runs: 3, warmupMs: 1_000 },
    burst: 100,
    pipeline: { orders: 1_000, items: 50, stock: 18, concurrency: 10 },
    // Stock to spare: every paced order is confirmed.
    paced: { durationS: 20, items: 20, stock: 10_000, share: 0.5 },
    coldLoadRuns: 7,
  },
  smoke: {
    levels: [1],
    http: { durationS: 1, runs: 1, warmupS: 0 },
    dynamo: { durationMs: 1_000, runs: 1, warmupMs: 0 },
    burst: 100,
    pipeline: { orders: 20, items: 5, stock: 3, concurrency: 4 },
    paced: { durationS: 5, items: 4, stock: 10_000, share: 0.5 },
    coldLoadRuns: 3,
  },
};
// A failed SQS record waits out its queue's 36 s visibility timeout before
// its retry: a shorter stall would call a slow order lost.
const STALL_MS = 45_000;
const BURST_TIMEOUT_MS = 30_000;

/** Every phase --only can name, in the order they run. */
const PHASES = ['startup', 'burst', 'http', 'storage-getitem', 'storage-tx', 'get', 'pipeline', 'paced', 'post', 'cold-load'];
/** Names that stand for several phases. @type {Record<string, string[]>} */
const ALIASES = { storage: ['storage-getitem', 'storage-tx'] };
/**
 * What each phase needs measured in the same run: the ceilings its rows are
 * set beside, and for the paced pipeline the saturated one it takes its pace from.
 * @param {{ pace?: number }} options @returns {Record<string, string[]>}
 */
const needs = ({ pace }) => ({
  get: ['http', 'storage-getitem'],
  post: ['http', 'storage-tx'],
  pipeline: ['storage-tx'],
  paced: pace === undefined ? ['pipeline', 'storage-tx'] : ['storage-tx'],
});
const USAGE = `usage: npm run bench [-- --smoke] [-- --out DIR] [-- --only PHASES] [-- --pace ORDERS_PER_S]
  --smoke         tiny counts, for the test
  --out DIR       where bench.json, bench.md and stack.log go (default dist/bench)
  --only PHASES   comma-separated, run only these phases and what they need:
                  ${[...PHASES.slice(0, 3), 'storage (= storage-getitem,storage-tx)', ...PHASES.slice(5)].join(', ')}
                  needs: get → http, storage-getitem; post → http, storage-tx; pipeline → storage-tx;
                  paced → pipeline (unless --pace), storage-tx. Phases not run are absent from
                  the table and their targets say "not run". E.g. --only pipeline,paced
  --pace N        pace the paced pipeline at N orders/s (default: 50% of the CPU-bound ceiling
                  the saturated pipeline measured; 50% of its decided rate when that is unknown)`;

/** @param {string} message */
const usageError = (message) => {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
};
/** @type {{ values: { smoke: boolean, out?: string, help: boolean, only?: string, pace?: string } }} */
let parsed;
try {
  parsed = /** @type {any} */ (
    parseArgs({
      options: {
        smoke: { type: 'boolean', default: false },
        out: { type: 'string' },
        help: { type: 'boolean', default: false },
        only: { type: 'string' },
        pace: { type: 'string' },
      },
    })
  );
} catch (error) {
  usageError(/** @type {Error} */ (error).message);
  throw error;
}
const args = parsed.values;
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const pace = args.pace === undefined ? undefined : Number(args.pace);
if (pace !== undefined && !(Number.isFinite(pace) && pace > 0)) usageError(`--pace wants a positive number of orders per second, got "${args.pace}"`);

/**
 * The phases to run: all of them, or those named by --only with what they need.
 * @param {string | undefined} only @returns {string[]}
 */
const selectPhases = (only) => {
  if (only === undefined) return [...PHASES];
  const asked = only.split(',').map((name) => name.trim()).filter(Boolean);
  if (asked.length === 0) usageError('--only names no phase');
  const unknown = asked.filter((name) => !PHASES.includes(name) && !ALIASES[name]);
  if (unknown.length > 0) usageError(`--only: unknown phase ${unknown.join(', ')}`);
  const wanted = new Set(asked.flatMap((name) => ALIASES[name] ?? [name]));
  const need = needs({ pace });
  for (let grew = true; grew; ) {
    grew = false;
    for (const name of [...wanted]) {
      for (const dependency of need[name] ?? []) {
        if (!wanted.has(dependency)) {
          wanted.add(dependency);
          grew = true;
        }
      }
    }
  }
  return PHASES.filter((name) => wanted.has(name));
};
const phases = selectPhases(args.only);
const runs = (/** @type {string} */ name) => phases.includes(name);

// The SDK's notice about future Node versions would land in the middle of the progress line.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const mode = args.smoke ? 'smoke' : 'full';
const config = { mode, ...MODES[mode], only: args.only, pace, phases };
const outDir = args.out ? path.resolve(args.out) : path.join(ROOT, 'dist/bench');
const progress = createProgress();

/** Everything that must be stopped, however the bench ends. @type {Array<() => Promise<unknown>>} */
const cleanups = [];
const cleanup = async () => {
  while (cleanups.length > 0) await /** @type {() => Promise<unknown>} */ (cleanups.pop())().catch(() => undefined);
};
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.once(signal, async () => {
    progress.done();
    console.error(`\n${signal}: stopping what the bench started…`);
    await cleanup();
    process.exit(130);
  });
}

const results = {
  config,
  meta: { startedAt: new Date().toISOString(), node: process.versions.node, cpus: os.cpus().length, durationMs: NaN },
  writesPerOrder: WRITES_PER_ORDER,
  startup: { stackReadyMs: NaN, bareReadyMs: NaN, phases: /** @type {{ phase: string, ms: number }[]} */ ([]), templates: /** @type {string | undefined} */ (undefined) },
  coldBurst: { stack: /** @type {any} */ (undefined), bare: /** @type {any} */ (undefined), drained: /** @type {any} */ (undefined) },
  ceilings: { http: /** @type {any[]} */ ([]), getItem: /** @type {any[]} */ ([]), transaction: /** @type {any[]} */ ([]) },
  gateway: { getItem: /** @type {any[]} */ ([]), postOrders: /** @type {any[]} */ ([]) },
  pipeline: /** @type {any} */ (undefined),
  /** The paced pipeline, and where its pace came from. */
  paced: /** @type {any} */ (undefined),
  /** Where the CPU goes at the loaded phases (see lib/cpu.mjs). */
  cpu: { cores: os.cpus().length, clockTicksPerSecond: clockTicksPerSecond(), phases: /** @type {import('./lib/cpu.mjs').CpuPhase[]} */ ([]) },
  coldLoad: /** @type {any} */ (undefined),
  failures: /** @type {{ phase: string, error: string }[]} */ ([]),
  notes: /** @type {string[]} */ ([]),
};

/**
 * Runs one phase; a failure is recorded and reported, and the bench goes on
 * to the next phase, so one broken part still leaves the others measured.
 * @template T @param {string} phase @param {() => Promise<T>} run @returns {Promise<T | undefined>}
 */
const phase = async (phase, run) => {
  try {
    return await run();
  } catch (error) {
    results.failures.push({ phase, error: /** @type {Error} */ (error).message.split('\n').slice(0, 6).join(' | ') });
    return undefined;
  }
};

/**
 * The paced pipeline's rate: --pace, or a share of the CPU-bound ceiling the
 * saturated pipeline measured, or (without /proc) of the rate it decided at.
 * @returns {{ rate: number, source: 'option' | 'cpu-bound' | 'decided-rate', basis: number, share: number }}
 */
const pacedRate = () => {
  const { share } = config.paced;
  if (pace !== undefined) return { rate: pace, source: 'option', basis: pace, share: 1 };
  const ceiling = results.cpu.phases.find((p) => p.id === 'pipeline')?.cpuBoundCeiling;
  if (ceiling !== undefined && Number.isFinite(ceiling) && ceiling > 0) return { rate: ceiling * share, source: 'cpu-bound', basis: ceiling, share };
  const decided = results.pipeline?.decidedPerSecond;
  if (Number.isFinite(decided) && decided > 0) return { rate: decided * share, source: 'decided-rate', basis: decided, share };
  throw new Error('no pace: the saturated pipeline measured neither a CPU-bound ceiling nor a decided rate (give --pace N)');
};

/** @type {Awaited<ReturnType<typeof benchCallers>>} */
let callers;

const main = async () => {
  const benchStarted = Date.now();
  const needsStack = phases.some((name) => name !== 'cold-load');
  const needsBare = runs('startup') || runs('burst') || runs('http');
  // Reads are spread over the pipeline's items, so GET needs them too.
  const needsItems = runs('get') || runs('pipeline') || runs('paced') || runs('post');
  // CPU is measured at the highest connection level (50; 1 in smoke mode).
  const cpuLevel = Math.max(...config.levels);

  /** @type {Awaited<ReturnType<typeof startStack>> | undefined} */
  let stack;
  if (needsStack) {
    progress.update('starting the local stack (npm start)');
    stack = await startStack();
    callers = await benchCallers();
    const started = stack;
    cleanups.push(() => started.stop());
    results.startup.stackReadyMs = stack.readyMs;
    results.startup.phases = startupPhases(stack.lines, stack.readyMs);
    results.startup.templates = templateReuse(stack.lines);
  }

  if (stack) {
    const cpu = createCpuMeter({ rootPid: stack.pid, dynamodbPort: Number(new URL(stack.dynamodbEndpoint).port), cores: results.cpu.cores });

    // The capture queue lives in fauxqs only: creating it warms no function.
    const capture = await startCapture({ endpoint: stack.snsSqsEndpoint });
    cleanups.push(() => capture.stop());

    // 3. Cold burst, first of all. The item does not exist (creating one would
    // warm items-api): each order is accepted, then rejected ITEM_NOT_FOUND.
    if (runs('burst')) {
      progress.update(`cold burst: ${config.burst} concurrent POST /orders`);
      const unknownItem = randomUUID();
      results.coldBurst.stack = await phase('cold burst', () =>
        coldBurst({ baseUrl: stack.apiUrl, count: config.burst, timeoutMs: BURST_TIMEOUT_MS, method: 'POST', path: '/orders', body: () => ({ itemId: unknownItem, quantity: 1 }), headers: callers.customer }),
      );
      const burstOrders = (results.coldBurst.stack?.answers ?? []).filter((/** @type {any} */ a) => a.status === 202 && a.json?.orderId).map((/** @type {any} */ a) => a.json.orderId);
      results.coldBurst.drained = await phase('cold burst', () =>
        drain({ capture, orderIds: burstOrders, stallMs: STALL_MS, capMs: 120_000, onProgress: (d) => progress.update('waiting for the cold burst orders to be decided', d) }),
      );
    }

    // 1. The HTTP ceiling, started now so its start-up does not overlap the stack's.
    if (needsBare) {
      progress.update('starting the bare serverless-offline function');
      const bare = await phase('bare function', () => startBareFunction());
      if (bare) {
        cleanups.push(() => bare.stop());
        results.startup.bareReadyMs = bare.readyMs;
        if (runs('burst')) {
          progress.update(`cold burst on the bare function: ${config.burst} concurrent GET`);
          results.coldBurst.bare = await phase('bare cold burst', () => coldBurst({ baseUrl: bare.url, count: config.burst, timeoutMs: BURST_TIMEOUT_MS, method: 'GET', path: bare.path }));
        }
      }

      // 1. Storage ceilings against the stack's own DynamoDB Local (before the
      // HTTP ceiling, as ever: the bare function idles meanwhile).
      await storageCeilings(stack);

      if (bare && runs('http')) {
        await phase('HTTP ceiling', async () => {
          for (const connections of config.levels) {
            const step = `HTTP ceiling: bare function at ${connections} conn`;
            progress.update(step);
            results.ceilings.http.push(
              await loadLevel({ baseUrl: bare.url, connections, ...config.http, next: () => ({ method: 'GET', path: bare.path }), onRun: (run) => progress.update(step, `run ${run}/${config.http.runs}`) }),
            );
          }
        });
      }
      if (bare) await bare.stop();
    } else await storageCeilings(stack);

    if (needsItems) await loads({ stack, cpu, capture, cpuLevel });

    progress.update('stopping the stack');
    const stackExit = stack.exit();
    await cleanup();
    // The stack's whole output, with the time of each line, for whoever has to explain a figure.
    mkdirSync(outDir, { recursive: true });
    writeFileSync(path.join(outDir, 'stack.log'), stack.lines.map((l) => `${(l.atMs / 1000).toFixed(3).padStart(8)}  ${l.line}`).join('\n'));
    if (stackExit) results.notes.push(`The local stack exited before the bench stopped it (${stackExit.signal ?? `exit ${stackExit.code}`}); see stack.log.`);
  }

  // 5. Cold loads, on a quiet machine.
  if (runs('cold-load')) {
    progress.update('cold loads of the packaged functions');
    results.coldLoad = await phase('cold loads', async () => measureColdLoads({ runs: config.coldLoadRuns, onProgress: (d) => progress.update('cold loads of the packaged functions', d) }));
  }

  results.meta.durationMs = Date.now() - benchStarted;
  addNotes(cpuLevel);

  progress.done();
  writeReport({ results, outDir });
  const written = ['bench.json', 'bench.md', ...(stack ? ['stack.log'] : [])];
  console.log(`\nWritten: ${written.map((file) => path.relative(process.cwd(), path.join(outDir, file))).join(', ')}`);
};

/**
 * 1. Storage ceilings against the stack's own DynamoDB Local: each operation only if a phase run needs it.
 * @param {NonNullable<Awaited<ReturnType<typeof startStack>>>} stack
 */
const storageCeilings = async (stack) => {
  const wanted = /** @type {const} */ ([
    ['getItem', 'GetItem', 'storage-getitem'],
    ['transaction', 'TransactWriteItems', 'storage-tx'],
  ]).filter(([, , name]) => runs(name));
  if (wanted.length === 0) return;
  const dynamodb = dynamoClient(stack.dynamodbEndpoint);
  cleanups.push(async () => dynamodb.destroy());
  await phase('storage ceilings', async () => {
    const table = await createScratchTable(dynamodb);
    const ops = operations(dynamodb, table);
    for (const [key, label] of wanted) {
      for (const concurrency of config.levels) {
        const step = `storage ceiling: ${label} at ${concurrency}`;
        progress.update(step);
        results.ceilings[key].push(await measureLevel({ concurrency, ...config.dynamo, op: ops[key], onRun: (run) => progress.update(step, `run ${run}/${config.dynamo.runs}`) }));
      }
    }
    await dropScratchTable(dynamodb, table);
  });
};

/**
 * 2 and 4. The loads on the stack's own API: GET, the pipelines, POST /orders.
 * @param {{ stack: NonNullable<Awaited<ReturnType<typeof startStack>>>, cpu: import('./lib/cpu.mjs').CpuMeter,
 *   capture: Awaited<ReturnType<typeof startCapture>>, cpuLevel: number }} options
 */
const loads = async ({ stack, cpu, capture, cpuLevel }) => {
  const dynamodb = dynamoClient(stack.dynamodbEndpoint);
  cleanups.push(async () => dynamodb.destroy());
  // Items: the pipeline's (little stock, reads spread over them for GET), the
  // paced pipeline's (stock to spare), and one with stock to spare for the
  // POST /orders load. Each only if a phase run uses it.
  progress.update('creating items');
  const items = await phase('items', async () => ({
    pipeline: runs('get') || runs('pipeline') ? await createItems({ apiUrl: stack.apiUrl, count: config.pipeline.items, stock: config.pipeline.stock, headers: callers.staff }) : [],
    paced: runs('paced') ? await createItems({ apiUrl: stack.apiUrl, count: config.paced.items, stock: config.paced.stock, headers: callers.staff }) : [],
    plenty: runs('post') ? (await createItems({ apiUrl: stack.apiUrl, count: 1, stock: 1_000_000, headers: callers.staff }))[0] : undefined,
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
    });
  }

  const capMs = mode === 'smoke' ? 90_000 : 240_000;
  if (runs('pipeline')) {
    const { orders, concurrency, stock } = config.pipeline;
    const step = `pipeline: ${orders} orders over ${items.pipeline.length} items`;
    progress.update(step);
    const pipeline = await phase('pipeline', () =>
      runPipeline({ apiUrl: stack.apiUrl, capture, dynamodb, itemIds: items.pipeline, stock, orders, concurrency, stallMs: STALL_MS, capMs, onProgress: (d) => progress.update(step, d), cpu, customer: callers.customer }),
    );
    if (pipeline) {
      const { cpu: cpuUse, ...rest } = pipeline;
      results.pipeline = rest;
      if (cpuUse) results.cpu.phases.push(cpuUse);
    }
  }

  // The paced pipeline, right after the saturated one whose CPU-bound ceiling sets its pace.
  if (runs('paced')) {
    const paced = await phase('paced pipeline', async () => {
      const from = pacedRate();
      const { durationS, stock } = config.paced;
      const step = `paced pipeline: ${from.rate.toFixed(1)} orders/s for ${durationS} s over ${items.paced.length} items`;
      progress.update(step);
      // The saturated run's last notifications may still be on their way; let the stack go quiet.
      await sleep(1_000);
      const run = await runPacedPipeline({ apiUrl: stack.apiUrl, capture, dynamodb, itemIds: items.paced, stock, rate: from.rate, durationS, stallMs: STALL_MS, capMs, onProgress: (d) => progress.update(step, d), cpu, customer: callers.customer });
      return { ...run, paceFrom: from };
    });
    if (paced) {
      const { cpu: cpuUse, ...rest } = paced;
      results.paced = rest;
      if (cpuUse) results.cpu.phases.push(cpuUse);
    }
  }

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

/** The notes under the table: how each figure run was measured. @param {number} cpuLevel */
const addNotes = (cpuLevel) => {
  const notes = [];
  if (config.only !== undefined) notes.push(`Only these phases ran (--only ${config.only}, with what they need): ${phases.join(', ')}.`);
  if (runs('http') || runs('storage-getitem') || runs('storage-tx') || runs('get') || runs('post')) {
    notes.push(
      `HTTP and storage figures: median of ${config.http.runs} run(s) of ${config.http.durationS} s (storage ${config.dynamo.runs} × ${config.dynamo.durationMs / 1000} s) per level after a ${config.http.warmupS} s warm-up; closed loop, one request in flight per connection; p50/p99 and req/s count only good answers (2xx with a JSON body); errors = non-2xx + 2xx-but-not-JSON + socket errors + timeouts, summed over runs.`,
    );
  }
  if (runs('storage-getitem') || runs('storage-tx')) {
    notes.push(`Storage ceiling: the stack's own DynamoDB Local, SDK v3 client without retries, a scratch table; GetItem of an item-sized row; TransactWriteItems = conditional update of a per-worker counter + conditional put of a new row (the shape of reserveStock).`);
  }
  if (runs('pipeline') || runs('paced')) notes.push(`Pipeline storage-bound ceiling = best 2-item TransactWriteItems rate / ${WRITES_PER_ORDER}: ${WRITES_NOTE}.`);
  if (runs('burst')) {
    notes.push(
      `Cold burst orders name an item that does not exist, so creating an item does not warm the stack first; each is accepted (202) and then rejected ITEM_NOT_FOUND${results.coldBurst.drained ? ` (${results.coldBurst.drained.decided}/${results.coldBurst.drained.of} decided before the next phase: ${results.coldBurst.drained.reason})` : ''}. Client timeout ${BURST_TIMEOUT_MS / 1000} s.`,
    );
  }
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
  if (results.cpu.phases.length > 0) {
    notes.push(
      `Where the CPU goes: utime + stime from /proc/<pid>/stat (all threads, so serverless-offline's worker threads count with their process) of every process under the stack's start.mjs, summed by role, plus the bench's own process (autocannon runs in it, and the pipeline's SQS capture) from process.cpuUsage(); ${results.cpu.clockTicksPerSecond} ticks/s, ${results.cpu.cores} cores. Measured over the timed runs (not the warm-up) at ${cpuLevel} conn, and over each pipeline from its first submission to the last decision seen (the paced one includes what the stack spends idling between orders). Machine busy = all that CPU / (wall × cores); in brackets the same from /proc/stat (every process and the kernel). CPU-bound ceiling = cores × 1000 / stack CPU ms per request (the bench client excluded): the most this machine could do if nothing but CPU limited it. POST /orders CPU includes the saga still working on orders accepted earlier.`,
    );
  }
  if (runs('post')) notes.push('POST /orders load runs last: every accepted order enters the saga, which keeps running beside the later connection levels (as it would in use).');
  for (const level of [...results.gateway.getItem, ...results.gateway.postOrders, ...results.ceilings.http]) {
    if (level.badSample) notes.push(`Bad answer at ${level.connections} conn (${JSON.stringify(level.statuses)}): ${level.badSample}`);
  }
  // Anything noted earlier (the stack exiting on its own) comes after these.
  results.notes.unshift(...notes);
  for (const failure of results.failures) results.notes.push(`Phase failed: ${failure.phase}: ${failure.error}`);
};

main()
  .then(() => process.exit(0))
  .catch(async (error) => {
    progress.done();
    console.error(`bench failed: ${error.stack ?? error.message}`);
    await cleanup();
    process.exit(1);
  });
