// Measures each invocation inside serverless-offline's worker threads, for
// the memory and cost model (tools/cost, docs/cost.md): the handler's wall
// time, its thread's CPU time (process.threadCpuUsage(), this thread only:
// one invocation runs in a worker at a time, so it is that invocation's), and
// the bytes and lines it wrote to stdout and stderr (what CloudWatch Logs
// would ingest), EMF metric lines among them.
//
// serverless-offline runs each function instance in a worker thread started
// from its workerThreadHelper.js. Installed by the local stage's plugin in
// serverless-offline's process (serverless-plugins/local-function-credentials.js),
// this swaps node:worker_threads' Worker for one that starts that helper
// behind worker-meter-thread.mjs, which times each invocation and hands the
// figures back; this side prints one line per invocation, which the local
// stack takes out of the output and counts (stack/usage.mjs, claimMeterLine).
// Nothing of it reaches a function's bundle or environment.
'use strict';

const path = require('node:path');
const { pathToFileURL } = require('node:url');
const workerThreads = require('node:worker_threads');
const { syncBuiltinESMExports } = require('node:module');

/** The key under which the helper's path goes in, and each invocation's figures come back. */
const METER_KEY = '__localRuntimeMeter';
/** The line prefix the local stack reads (lambda/offline.mjs). */
const METER_LINE_PREFIX = 'local-runtime: invocation ';
const ENTRY = path.join(__dirname, 'worker-meter-thread.mjs');
const HELPER = /workerThreadHelper\.js$/;

let installed = false;

/** @param {(line: string) => void} [print] */
const installWorkerMeter = (print = (line) => process.stdout.write(`${line}\n`)) => {
  if (installed) return;
  installed = true;
  const Original = workerThreads.Worker;
  class MeteredWorker extends Original {
    /** @param {string | URL} filename @param {import('node:worker_threads').WorkerOptions} [options] */
    constructor(filename, options = {}) {
      const file = filename instanceof URL ? filename.pathname : String(filename);
      if (!HELPER.test(file)) {
        super(filename, options);
        return;
      }
      super(ENTRY, { ...options, workerData: { ...options.workerData, [METER_KEY]: pathToFileURL(file).href } });
      const env = /** @type {Record<string, string | undefined> | undefined} */ (typeof options.env === 'object' ? options.env : undefined);
      const functionName = env?.AWS_LAMBDA_FUNCTION_NAME ?? options.workerData?.functionKey ?? '?';
      this.on('message', (message) => {
        const figures = message?.[METER_KEY];
        if (figures) print(`${METER_LINE_PREFIX}${JSON.stringify({ functionName, ...figures })}`);
      });
    }
  }
  workerThreads.Worker = MeteredWorker;
  // serverless-offline imports { Worker } as an ES module: its binding follows the builtin's exports once synced.
  syncBuiltinESMExports();
};

module.exports = { installWorkerMeter, METER_KEY, METER_LINE_PREFIX };
