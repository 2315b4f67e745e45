// The bench engine: how the local stack performs under a scenario's load,
// each figure beside its ceiling measured in the same run (absolute times on
// a shared machine are noise; ratios are not). It starts its own stack on
// free ports, so it runs beside a developer's `npm start`, and measures what
// needs no domain: start-up (beside a bare serverless-offline function), a
// cold burst on the fresh stack (the scenario names the request), the HTTP
// ceiling (the bare function under load), the storage ceilings (raw DynamoDB
// Local GetItem and 2-item TransactWriteItems), where the CPU goes, and the
// cold loads of the packaged functions. The scenario (BenchScenario) runs its
// own phases on the stack between the ceilings and the cold loads, and adds
// its rows, targets and notes to the one report.
//
// Phases run in this order: startup, burst, http, storage-getitem,
// storage-tx, the scenario's, cold-load. The cold burst comes first, before
// anything warms the stack. `--only` runs some of them, plus what they need
// (a scenario phase names the ceilings its rows are set beside).
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { measureColdLoads } from '../cold-start.mjs';
import { coldBurst } from './burst.mjs';
import { clockTicksPerSecond, createCpuMeter } from './cpu.mjs';
import { createScratchTable, dropScratchTable, dynamoClient, measureLevel, operations } from './dynamo-ceiling.mjs';
import { loadLevel } from './http-load.mjs';
import { createProgress } from './progress.mjs';
import { ROOT, startBareFunction, startStack, startupPhases, templateReuse } from './stack.mjs';
import { engineRows, engineTargets, writeReport } from './table.mjs';

/**
 * @typedef {import('@platform/local-stack/process').RunningStack} RunningStack
 * @typedef {import('./cpu.mjs').CpuMeter} CpuMeter
 * @typedef {import('./cpu.mjs').CpuPhase} CpuPhase
 * @typedef {import('./http-load.mjs').LevelResult} LevelResult
 * @typedef {import('./table.mjs').Row} Row
 * @typedef {import('./table.mjs').Target} Target
 * @typedef {ReturnType<typeof createProgress>} Progress
 *
 * @typedef {object} ScenarioPhase
 * @property {string} name
 * @property {(options: Record<string, any>) => string[]} [needs]  the phases whose figures it is set beside (or takes its input from)
 * @property {boolean} [load]  measured with the engine's closed-loop HTTP load (http-load.mjs): the notes then say how
 *
 * @typedef {object} BenchContext  what a scenario's hooks get
 * @property {RunningStack} stack
 * @property {Record<string, any>} config  the mode's figures (the engine's and the scenario's), --only, the scenario's options, the phases
 * @property {Record<string, any>} results  everything measured so far: the engine's keys and the scenario's
 * @property {(name: string) => boolean} runs  whether a phase is to run
 * @property {<T>(name: string, run: () => Promise<T>) => Promise<T | undefined>} phase  runs a part; a failure is recorded and the bench goes on
 * @property {Progress} progress
 * @property {CpuMeter} cpu  CPU of the stack's processes and the bench's own
 * @property {number} cpuLevel  the connection level at which CPU is measured (the highest)
 * @property {(stop: () => Promise<unknown>) => void} cleanup  something to stop however the bench ends
 * @property {Record<string, any>} state  what the scenario's setup returned
 *
 * @typedef {object} BenchScenario
 * @property {string} [command]  how it is started, for the usage (default `npm run bench`)
 * @property {{ full: Record<string, any>, smoke: Record<string, any> }} modes  the scenario's own figures, by mode
 * @property {ScenarioPhase[]} phases  in the order they run, after the ceilings
 * @property {import('node:util').ParseArgsConfig['options']} [options]  more command-line options
 * @property {(values: Record<string, any>, usageError: (message: string) => never) => Record<string, any>} [parseOptions]  their values, checked: they go into the config
 * @property {{ synopsis?: string, needs?: string, example?: string, options?: string[] }} [usage]  its part of --help
 * @property {() => Record<string, any>} [results]  the scenario's own results, beside the engine's
 * @property {(ctx: Omit<BenchContext, 'state'>) => Promise<Record<string, any>>} [setup]  once the stack is up: callers, event capture…
 * @property {{ what: string, request: (ctx: BenchContext) => { method: string, path: string, body?: () => unknown, headers?: Record<string, string> },
 *   settle?: (ctx: BenchContext, burst: Awaited<ReturnType<typeof coldBurst>>) => Promise<unknown>, note?: (results: Record<string, any>) => string }} [burst]
 *   the cold burst's request (what: its method and path, for the table); settle: waits out what it set off, before the next phase
 * @property {(ctx: BenchContext) => Promise<void>} run  runs the scenario's phases (those `ctx.runs` names)
 * @property {(results: Record<string, any>) => Row[]} rows  sections 2 and 4 of the table (the engine's are 1, 3 and 5)
 * @property {(results: Record<string, any>) => Target[]} targets  reported between the cold burst's and start-up's
 * @property {(results: Record<string, any>, context: { runs: (name: string) => boolean, cpuLevel: number }) => string[]} [notes]
 * @property {(results: Record<string, any>) => import('./table.mjs').Section[]} [sections]  parts of the report of its own, after the table
 */

const MODES = {
  full: {
    levels: [1, 10, 50],
    http: { durationS: 4, runs: 3, warmupS: 1 },
    dynamo: { durationMs: 3_000, runs: 3, warmupMs: 1_000 },
    burst: 100,
    coldLoadRuns: 7,
  },
  smoke: {
    levels: [1],
    http: { durationS: 1, runs: 1, warmupS: 0 },
    dynamo: { durationMs: 1_000, runs: 1, warmupMs: 0 },
    // The cold burst proves a correctness property: it stays 100 in smoke mode.
    burst: 100,
    coldLoadRuns: 3,
  },
};
const BURST_TIMEOUT_MS = 30_000;

/** The engine's phases before the scenario's, and after. */
const BEFORE = ['startup', 'burst', 'http', 'storage-getitem', 'storage-tx'];
const AFTER = ['cold-load'];
/** Names that stand for several phases. @type {Record<string, string[]>} */
const ALIASES = { storage: ['storage-getitem', 'storage-tx'] };

/**
 * Every phase in the order they run, and what each needs measured in the same run.
 * @param {BenchScenario} scenario @param {Record<string, any>} options
 */
export const phasesOf = (scenario, options) => {
  const all = [...BEFORE.filter((name) => name !== 'burst' || scenario.burst), ...scenario.phases.map((p) => p.name), ...AFTER];
  /** @type {Record<string, string[]>} */
  const needs = Object.fromEntries(scenario.phases.map((p) => [p.name, p.needs?.(options) ?? []]));
  return { all, needs };
};

/**
 * The phases to run: all of them, or those named by --only with what they need.
 * @param {string | undefined} only @param {{ all: string[], needs: Record<string, string[]> }} phases
 * @returns {string[] | string} the phases, or what is wrong with --only
 */
export const selectPhases = (only, { all, needs }) => {
  if (only === undefined) return [...all];
  const asked = only
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (asked.length === 0) return '--only names no phase';
  const unknown = asked.filter((name) => !all.includes(name) && !ALIASES[name]);
  if (unknown.length > 0) return `--only: unknown phase ${unknown.join(', ')}`;
  const wanted = new Set(asked.flatMap((name) => ALIASES[name] ?? [name]));
  for (let grew = true; grew; ) {
    grew = false;
    for (const name of [...wanted]) {
      for (const dependency of needs[name] ?? []) {
        if (!wanted.has(dependency)) {
          wanted.add(dependency);
          grew = true;
        }
      }
    }
  }
  return all.filter((name) => wanted.has(name));
};

/** @param {BenchScenario} scenario @param {string[]} all */
const usageOf = (scenario, all) => {
  const { synopsis = '', needs, example = '', options = [] } = scenario.usage ?? {};
  const listed = all.flatMap((name) => (name === 'storage-getitem' ? ['storage (= storage-getitem,storage-tx)'] : name === 'storage-tx' ? [] : [name]));
  return [
    `usage: ${scenario.command ?? 'npm run bench'} [-- --smoke] [-- --out DIR] [-- --only PHASES]${synopsis}`,
    '  --smoke         tiny counts, for the test',
    '  --out DIR       where bench.json, bench.md and stack.log go (default dist/bench)',
    '  --only PHASES   comma-separated, run only these phases and what they need:',
    `                  ${listed.join(', ')}`,
    ...(needs ? [`                  needs: ${needs}`] : []),
    `                  Phases not run are absent from the table and their targets say "not run".${example}`,
    ...options,
  ].join('\n');
};

/**
 * Runs the bench with a scenario, from the command line, and exits: 0 when it
 * wrote its report (whatever the figures), 1 when it could not, 2 on a usage error.
 * @param {{ scenario: BenchScenario, argv?: string[] }} options
 * @returns {Promise<never>}
 */
export const runBench = async ({ scenario, argv = process.argv.slice(2) }) => {
  const allPhases = phasesOf(scenario, {}).all;
  /** @param {string} message @returns {never} */
  const usageError = (message) => {
    console.error(`${message}\n${usageOf(scenario, allPhases)}`);
    process.exit(2);
  };
  /** @type {Record<string, any>} */
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        smoke: { type: 'boolean', default: false },
        out: { type: 'string' },
        help: { type: 'boolean', default: false },
        only: { type: 'string' },
        ...scenario.options,
      },
    }));
  } catch (error) {
    return usageError(/** @type {Error} */ (error).message);
  }
  if (values.help) {
    console.log(usageOf(scenario, allPhases));
    process.exit(0);
  }
  const options = scenario.parseOptions?.(values, usageError) ?? {};
  const selected = selectPhases(values.only, phasesOf(scenario, options));
  if (typeof selected === 'string') return usageError(selected);
  const phases = selected;
  const runs = (/** @type {string} */ name) => phases.includes(name);

  /** @type {'smoke' | 'full'} */
  const mode = values.smoke ? 'smoke' : 'full';
  const config = { mode, ...MODES[mode], ...scenario.modes[mode], only: values.only, ...options, phases };
  const outDir = values.out ? path.resolve(values.out) : path.join(ROOT, 'dist/bench');
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
    ...scenario.results?.(),
    startup: { stackReadyMs: NaN, bareReadyMs: NaN, phases: /** @type {{ phase: string, ms: number }[]} */ ([]), templates: /** @type {string | undefined} */ (undefined) },
    coldBurst: { what: scenario.burst?.what, stack: /** @type {any} */ (undefined), bare: /** @type {any} */ (undefined), drained: /** @type {any} */ (undefined) },
    ceilings: { http: /** @type {LevelResult[]} */ ([]), getItem: /** @type {any[]} */ ([]), transaction: /** @type {any[]} */ ([]) },
    /** Where the CPU goes at the loaded phases (see cpu.mjs). */
    cpu: { cores: os.cpus().length, clockTicksPerSecond: clockTicksPerSecond(), phases: /** @type {CpuPhase[]} */ ([]) },
    coldLoad: /** @type {any} */ (undefined),
    failures: /** @type {{ phase: string, error: string }[]} */ ([]),
    notes: /** @type {string[]} */ ([]),
  };

  /**
   * Runs one phase; a failure is recorded and reported, and the bench goes on
   * to the next phase, so one broken part still leaves the others measured.
   * @template T @param {string} name @param {() => Promise<T>} run @returns {Promise<T | undefined>}
   */
  const phase = async (name, run) => {
    try {
      return await run();
    } catch (error) {
      results.failures.push({ phase: name, error: /** @type {Error} */ (error).message.split('\n').slice(0, 6).join(' | ') });
      return undefined;
    }
  };

  /**
   * 1. Storage ceilings against the stack's own DynamoDB Local: each operation only if a phase run needs it.
   * @param {RunningStack} stack
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

  // CPU is measured at the highest connection level (50; 1 in smoke mode).
  const cpuLevel = Math.max(...config.levels);

  const main = async () => {
    const benchStarted = Date.now();
    const needsStack = phases.some((name) => !AFTER.includes(name));
    const needsBare = runs('startup') || runs('burst') || runs('http');
    const scenarioRuns = scenario.phases.some((p) => runs(p.name));

    /** @type {RunningStack | undefined} */
    let stack;
    if (needsStack) {
      progress.update('starting the local stack (npm start)');
      stack = await startStack();
      const started = stack;
      cleanups.push(() => started.stop());
      results.startup.stackReadyMs = stack.readyMs;
      results.startup.phases = startupPhases(stack.lines, stack.readyMs);
      results.startup.templates = templateReuse(stack.lines);
    }

    if (stack) {
      const running = stack;
      const cpu = createCpuMeter({ rootPid: stack.pid, dynamodbPort: Number(new URL(stack.dynamodbEndpoint).port), cores: results.cpu.cores });
      const base = { stack, config, results, runs, phase, progress, cpu, cpuLevel, cleanup: (/** @type {() => Promise<unknown>} */ stop) => cleanups.push(stop) };
      /** @type {BenchContext} */
      const ctx = { ...base, state: (await scenario.setup?.(base)) ?? {} };

      // 3. Cold burst, first of all: a stack nothing has warmed yet.
      if (runs('burst') && scenario.burst) {
        const { what, request, settle } = scenario.burst;
        progress.update(`cold burst: ${config.burst} concurrent ${what}`);
        const sent = request(ctx);
        results.coldBurst.stack = await phase('cold burst', () => coldBurst({ baseUrl: running.apiUrl, count: config.burst, timeoutMs: BURST_TIMEOUT_MS, ...sent }));
        const burst = results.coldBurst.stack;
        if (settle && burst) results.coldBurst.drained = await phase('cold burst', () => settle(ctx, burst));
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

      // 2 and 4. The scenario's loads on the stack's own API.
      if (scenarioRuns) await scenario.run(ctx);

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
    addNotes();

    progress.done();
    const rows = [...engineRows(results), ...scenario.rows(results)].sort((a, b) => a.section - b.section);
    const { before, after } = engineTargets(results);
    writeReport({ results, outDir, rows, targets: [...before, ...scenario.targets(results), ...after], sections: scenario.sections?.(results) ?? [] });
    const written = ['bench.json', 'bench.md', ...(stack ? ['stack.log'] : [])];
    console.log(`\nWritten: ${written.map((file) => path.relative(process.cwd(), path.join(outDir, file))).join(', ')}`);
  };

  /** The notes under the table: how each figure was measured. */
  const addNotes = () => {
    const notes = [];
    if (config.only !== undefined) notes.push(`Only these phases ran (--only ${config.only}, with what they need): ${phases.join(', ')}.`);
    if (runs('http') || runs('storage-getitem') || runs('storage-tx') || scenario.phases.some((p) => p.load && runs(p.name))) {
      notes.push(
        `HTTP and storage figures: median of ${config.http.runs} run(s) of ${config.http.durationS} s (storage ${config.dynamo.runs} × ${config.dynamo.durationMs / 1000} s) per level after a ${config.http.warmupS} s warm-up; closed loop, one request in flight per connection; p50/p99 and req/s count only good answers (2xx with a JSON body); errors = non-2xx + 2xx-but-not-JSON + socket errors + timeouts, summed over runs.`,
      );
    }
    if (runs('storage-getitem') || runs('storage-tx')) {
      notes.push(`Storage ceiling: the stack's own DynamoDB Local, SDK v3 client without retries, a scratch table; GetItem of an entity-sized row; TransactWriteItems = conditional update of a per-worker counter + conditional put of a new row.`);
    }
    if (runs('burst') && scenario.burst) {
      notes.push(`${scenario.burst.note?.(results) ?? `Cold burst: ${config.burst} concurrent ${scenario.burst.what} on the freshly started stack.`} Client timeout ${BURST_TIMEOUT_MS / 1000} s.`);
    }
    notes.push(...(scenario.notes?.(results, { runs, cpuLevel }) ?? []));
    if (results.cpu.phases.length > 0) {
      notes.push(
        `Where the CPU goes: utime + stime from /proc/<pid>/stat (all threads, so serverless-offline's worker threads count with their process) of every process under the stack's start.mjs, summed by role, plus the bench's own process (autocannon runs in it, and the scenario's event capture) from process.cpuUsage(); ${results.cpu.clockTicksPerSecond} ticks/s, ${results.cpu.cores} cores. Loads are measured over their timed runs (not the warm-up) at ${cpuLevel} conn. Machine busy = all that CPU / (wall × cores); in brackets the same from /proc/stat (every process and the kernel). CPU-bound ceiling = cores × 1000 / stack CPU ms per request (the bench client excluded): the most this machine could do if nothing but CPU limited it.`,
      );
    }
    for (const level of results.ceilings.http) {
      if (level.badSample) notes.push(`Bad answer at ${level.connections} conn (${JSON.stringify(level.statuses)}): ${level.badSample}`);
    }
    // Anything noted earlier (the stack exiting on its own) comes after these.
    results.notes.unshift(...notes);
    for (const failure of results.failures) results.notes.push(`Phase failed: ${failure.phase}: ${failure.error}`);
  };

  try {
    await main();
  } catch (error) {
    progress.done();
    console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : error}`);
    await cleanup();
    process.exit(1);
  }
  process.exit(0);
};
