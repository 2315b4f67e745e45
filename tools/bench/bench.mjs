#!/usr/bin/env node
// `npm run bench`: how the local stack performs, each figure beside its
// ceiling measured in the same run (absolute times on a shared machine are
// noise; ratios are not). Starts its own stack on free ports, so it runs
// beside a developer's `npm start`.
//   npm run bench                 full run (about 4-5 minutes on 2 cores)
//   npm run bench -- --smoke      tiny counts, for the test (the cold burst stays 100)
//   npm run bench -- --out DIR    where bench.json and bench.md go (default dist/bench)
// The order of the phases matters: the cold burst comes first, before
// anything warms the stack; the pipeline runs before the POST /orders load,
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
import { createItems, drain, runPipeline, WRITES_NOTE, WRITES_PER_ORDER } from './lib/pipeline.mjs';
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
    coldLoadRuns: 7,
  },
  smoke: {
    levels: [1],
    http: { durationS: 1, runs: 1, warmupS: 0 },
    dynamo: { durationMs: 1_000, runs: 1, warmupMs: 0 },
    burst: 100,
    pipeline: { orders: 20, items: 5, stock: 3, concurrency: 4 },
    coldLoadRuns: 3,
  },
};
// A failed SQS record waits out its queue's 36 s visibility timeout before
// its retry: a shorter stall would call a slow order lost.
const STALL_MS = 45_000;
const BURST_TIMEOUT_MS = 30_000;

const { values: args } = parseArgs({
  options: { smoke: { type: 'boolean', default: false }, out: { type: 'string' }, help: { type: 'boolean', default: false } },
});
if (args.help) {
  console.log('usage: npm run bench [-- --smoke] [-- --out DIR]');
  process.exit(0);
}
// The SDK's notice about future Node versions would land in the middle of the progress line.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const mode = args.smoke ? 'smoke' : 'full';
const config = { mode, ...MODES[mode] };
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

const main = async () => {
  const benchStarted = Date.now();

  progress.update('starting the local stack (npm start)');
  const stack = await startStack();
  cleanups.push(() => stack.stop());
  results.startup.stackReadyMs = stack.readyMs;
  results.startup.phases = startupPhases(stack.lines, stack.readyMs);
  results.startup.templates = templateReuse(stack.lines);
  const cpu = createCpuMeter({ rootPid: stack.pid, dynamodbPort: Number(new URL(stack.dynamodbEndpoint).port), cores: results.cpu.cores });
  // CPU is measured at the highest connection level (50; 1 in smoke mode).
  const cpuLevel = Math.max(...config.levels);

  // The capture queue lives in fauxqs only: creating it warms no function.
  const capture = await startCapture({ endpoint: stack.snsSqsEndpoint });
  cleanups.push(() => capture.stop());

  // 3. Cold burst, first of all. The item does not exist (creating one would
  // warm items-api): each order is accepted, then rejected ITEM_NOT_FOUND.
  progress.update(`cold burst: ${config.burst} concurrent POST /orders`);
  const unknownItem = randomUUID();
  results.coldBurst.stack = await phase('cold burst', () =>
    coldBurst({ baseUrl: stack.apiUrl, count: config.burst, timeoutMs: BURST_TIMEOUT_MS, method: 'POST', path: '/orders', body: () => ({ itemId: unknownItem, quantity: 1, customerEmail: 'burst@example.com' }) }),
  );
  const burstOrders = (results.coldBurst.stack?.answers ?? []).filter((/** @type {any} */ a) => a.status === 202 && a.json?.orderId).map((/** @type {any} */ a) => a.json.orderId);
  results.coldBurst.drained = await phase('cold burst', () =>
    drain({ capture, orderIds: burstOrders, stallMs: STALL_MS, capMs: 120_000, onProgress: (d) => progress.update('waiting for the cold burst orders to be decided', d) }),
  );

  // 1. The HTTP ceiling, started now so its start-up does not overlap the stack's.
  progress.update('starting the bare serverless-offline function');
  const bare = await phase('bare function', () => startBareFunction());
  if (bare) {
    cleanups.push(() => bare.stop());
    results.startup.bareReadyMs = bare.readyMs;
    progress.update(`cold burst on the bare function: ${config.burst} concurrent GET`);
    results.coldBurst.bare = await phase('bare cold burst', () => coldBurst({ baseUrl: bare.url, count: config.burst, timeoutMs: BURST_TIMEOUT_MS, method: 'GET', path: bare.path }));
  }

  // 1. Storage ceilings against the stack's own DynamoDB Local.
  const dynamodb = dynamoClient(stack.dynamodbEndpoint);
  cleanups.push(async () => dynamodb.destroy());
  await phase('storage ceilings', async () => {
    const table = await createScratchTable(dynamodb);
    const ops = operations(dynamodb, table);
    for (const [key, label] of /** @type {const} */ ([['getItem', 'GetItem'], ['transaction', 'TransactWriteItems']])) {
      for (const concurrency of config.levels) {
        const step = `storage ceiling: ${label} at ${concurrency}`;
        progress.update(step);
        results.ceilings[key].push(await measureLevel({ concurrency, ...config.dynamo, op: ops[key], onRun: (run) => progress.update(step, `run ${run}/${config.dynamo.runs}`) }));
      }
    }
    await dropScratchTable(dynamodb, table);
  });

  if (bare) {
    await phase('HTTP ceiling', async () => {
      for (const connections of config.levels) {
        const step = `HTTP ceiling: bare function at ${connections} conn`;
        progress.update(step);
        results.ceilings.http.push(
          await loadLevel({ baseUrl: bare.url, connections, ...config.http, next: () => ({ method: 'GET', path: bare.path }), onRun: (run) => progress.update(step, `run ${run}/${config.http.runs}`) }),
        );
      }
    });
    await bare.stop();
  }

  // Items: the pipeline's (little stock, reads spread over them for GET), and
  // one with stock to spare for the POST /orders load.
  progress.update('creating items');
  const items = await phase('items', async () => ({
    pipeline: await createItems({ apiUrl: stack.apiUrl, count: config.pipeline.items, stock: config.pipeline.stock }),
    plenty: (await createItems({ apiUrl: stack.apiUrl, count: 1, stock: 1_000_000 }))[0],
  }));
  // Their item.created events go through the outbox relay; let that settle.
  // The last 1.5 s of it show what the stack spends doing nothing (its pollers).
  await sleep(500);
  const idle = cpu.start();
  await sleep(1_500);
  results.cpu.phases.push(idle.stop({ id: 'idle', what: 'Idle stack between phases', unit: 's', completed: (wallMs) => wallMs / 1000 }));

  if (items) {
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

    const { orders, concurrency, stock } = config.pipeline;
    const step = `pipeline: ${orders} orders over ${items.pipeline.length} items`;
    progress.update(step);
    const pipeline = await phase('pipeline', () =>
      runPipeline({ apiUrl: stack.apiUrl, capture, dynamodb, itemIds: items.pipeline, stock, orders, concurrency, stallMs: STALL_MS, capMs: mode === 'smoke' ? 90_000 : 240_000, onProgress: (d) => progress.update(step, d), cpu }),
    );
    if (pipeline) {
      const { cpu: cpuUse, ...rest } = pipeline;
      results.pipeline = rest;
      if (cpuUse) results.cpu.phases.push(cpuUse);
    }

    await phase('POST /orders load', async () => {
      const body = JSON.stringify({ itemId: items.plenty, quantity: 1, customerEmail: 'load@example.com' });
      for (const connections of config.levels) {
        const step = `POST /orders at ${connections} conn`;
        progress.update(step);
        const { cpu: cpuUse, ...level } = await loadLevel({
          baseUrl: stack.apiUrl,
          connections,
          ...config.http,
          next: () => ({ method: 'POST', path: '/orders', body, headers: { 'content-type': 'application/json' } }),
          onRun: (run) => progress.update(step, `run ${run}/${config.http.runs}`),
          ...(connections === cpuLevel ? { cpu: { meter: cpu, id: `post-orders@${connections}`, what: `POST /orders @${connections}` } } : {}),
        });
        results.gateway.postOrders.push(level);
        if (cpuUse) results.cpu.phases.push(cpuUse);
      }
    });
  }

  progress.update('stopping the stack');
  const stackExit = stack.exit();
  await cleanup();
  // The stack's whole output, with the time of each line, for whoever has to explain a figure.
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'stack.log'), stack.lines.map((l) => `${(l.atMs / 1000).toFixed(3).padStart(8)}  ${l.line}`).join('\n'));

  // 5. Cold loads, on a quiet machine.
  progress.update('cold loads of the packaged functions');
  results.coldLoad = await phase('cold loads', async () => measureColdLoads({ runs: config.coldLoadRuns, onProgress: (d) => progress.update('cold loads of the packaged functions', d) }));

  results.meta.durationMs = Date.now() - benchStarted;
  results.notes.push(
    `HTTP and storage figures: median of ${config.http.runs} run(s) of ${config.http.durationS} s (storage ${config.dynamo.runs} × ${config.dynamo.durationMs / 1000} s) per level after a ${config.http.warmupS} s warm-up; closed loop, one request in flight per connection; p50/p99 and req/s count only good answers (2xx with a JSON body); errors = non-2xx + 2xx-but-not-JSON + socket errors + timeouts, summed over runs.`,
    `Storage ceiling: the stack's own DynamoDB Local, SDK v3 client without retries, a scratch table; GetItem of an item-sized row; TransactWriteItems = conditional update of a per-worker counter + conditional put of a new row (the shape of reserveStock).`,
    `Pipeline storage-bound ceiling = best 2-item TransactWriteItems rate / ${WRITES_PER_ORDER}: ${WRITES_NOTE}.`,
    `Cold burst orders name an item that does not exist, so creating an item does not warm the stack first; each is accepted (202) and then rejected ITEM_NOT_FOUND${results.coldBurst.drained ? ` (${results.coldBurst.drained.decided}/${results.coldBurst.drained.of} decided before the next phase: ${results.coldBurst.drained.reason})` : ''}. Client timeout ${BURST_TIMEOUT_MS / 1000} s.`,
  );
  const p = results.pipeline;
  if (p) {
    results.notes.push(
      `Pipeline: ${p.accepted}/${p.orders} accepted at ${Math.round(p.submitRate)}/s by ${p.submitConcurrency} clients; ${p.decided} decided (${p.confirmed} confirmed, expected ${p.expectedConfirmed}; ${p.rejected} rejected ${JSON.stringify(p.rejectReasons)}); oversold ${p.oversold}; bus vs orders table disagreements ${p.tableDisagreements}; waited until ${p.decisionWait}.`,
      `Pipeline stages (p50 / p99): ${p.stages.map((/** @type {any} */ s) => `${s.stage} ${Math.round(s.p50)} / ${Math.round(s.p99)} ms`).join('; ')}.`,
    );
  }
  results.notes.push(
    `Where the CPU goes: utime + stime from /proc/<pid>/stat (all threads, so serverless-offline's worker threads count with their process) of every process under the stack's start.mjs, summed by role, plus the bench's own process (autocannon runs in it, and the pipeline's SQS capture) from process.cpuUsage(); ${results.cpu.clockTicksPerSecond} ticks/s, ${results.cpu.cores} cores. Measured over the timed runs (not the warm-up) at ${cpuLevel} conn, and over the pipeline from its first submission to the last decision seen. Machine busy = all that CPU / (wall × cores); in brackets the same from /proc/stat (every process and the kernel). CPU-bound ceiling = cores × 1000 / stack CPU ms per request (the bench client excluded): the most this machine could do if nothing but CPU limited it. POST /orders CPU includes the saga still working on orders accepted earlier.`,
  );
  results.notes.push('POST /orders load runs last: every accepted order enters the saga, which keeps running beside the later connection levels (as it would in use).');
  for (const level of [...results.gateway.getItem, ...results.gateway.postOrders, ...results.ceilings.http]) {
    if (level.badSample) results.notes.push(`Bad answer at ${level.connections} conn (${JSON.stringify(level.statuses)}): ${level.badSample}`);
  }
  if (stackExit) results.notes.push(`The local stack exited before the bench stopped it (${stackExit.signal ?? `exit ${stackExit.code}`}); see stack.log.`);
  for (const failure of results.failures) results.notes.push(`Phase failed: ${failure.phase}: ${failure.error}`);

  progress.done();
  writeReport({ results, outDir });
  console.log(`\nWritten: ${['bench.json', 'bench.md', 'stack.log'].map((file) => path.relative(process.cwd(), path.join(outDir, file))).join(', ')}`);
};

main()
  .then(() => process.exit(0))
  .catch(async (error) => {
    progress.done();
    console.error(`bench failed: ${error.stack ?? error.message}`);
    await cleanup();
    process.exit(1);
  });
