// The one way the local stack runs a function: the gateway and every event
// source poller call serverless-offline's Lambda Invoke API through here, so
// the function runs with its serverless.yml environment, timeout and bundle,
// and one concurrency cap per function holds for all of its callers at once,
// as a function's concurrency does in AWS.
import http from 'node:http';
import { createConcurrencyLimit, ThrottledError } from './concurrency-limit.mjs';
import { usage } from '../stack/usage.mjs';

/** Invocations of one function allowed to run at once, unless its reserved concurrency says less. */
export const DEFAULT_CONCURRENCY = 4;
/** Invocations that may wait for a slot before more are throttled. */
export const DEFAULT_QUEUE_LIMIT = 1_000;
// serverless-offline enforces the function's own timeout; this margin only
// catches a serverless-offline that stopped answering altogether.
const NO_ANSWER_GRACE_MS = 5_000;
// How serverless-offline 14 words a function that ran past its timeout (it then
// stops the worker), and one whose runtime exited (an uncaught exception on some
// paths, process.exit): said here as Lambda would, not as its internals do.
const SERVERLESS_OFFLINE_TIMEOUT = /Lambda timeout/;
const SERVERLESS_OFFLINE_WORKER_EXIT = /^Worker stopped with exit code (\d+)/;

/**
 * @typedef {{ ok: true, payload: unknown, text: string }
 *   | { ok: false, kind: 'throttled' | 'timeout' | 'function-error' | 'unreachable', error: string }} InvokeResult
 * @typedef {{ name: string, lambdaPort: number, timeoutSeconds: number, reservedConcurrency?: number, runtime?: FunctionRuntime }} LocalFunction
 * @typedef {{ node?: string, deployed?: string }} FunctionRuntime
 *   node: the Node version its serverless-offline runs it on (its worker threads share the process's); deployed: its template's Runtime
 * @typedef {{ startedAt: number, endedAt: number, alone: boolean }} Run
 *   when an invocation ran (epoch ms), and whether no other invocation of its function ran at any moment of it
 * @typedef {{ signal?: AbortSignal, trigger?: { kind: string, id: string }, onRun?: (run: Run) => void }} InvokeOptions
 *   trigger: what started it, when its event does not say (a scheduled run), for the recorder;
 *   onRun: told when an invocation that ran ends
 */

/** The cap of one function: its reserved concurrency when set, never more than the machine's default. @param {LocalFunction} fn @param {number} defaultConcurrency */
export const concurrencyOf = (fn, defaultConcurrency) =>
  fn.reservedConcurrency === undefined ? defaultConcurrency : Math.min(fn.reservedConcurrency, defaultConcurrency);

/**
 * @typedef {'throttled' | 'timeout' | 'function-error' | 'unreachable'} FailureKind
 * @param {FailureKind} kind @param {string} error
 * @returns {{ ok: false, kind: FailureKind, error: string }}
 */
const failure = (kind, error) => ({ ok: false, kind, error });

/** @param {string} text @returns {InvokeResult} */
const parsePayload = (text) => {
  if (text === '') return { ok: /** @type {const} */ (true), payload: null, text: 'null' };
  return { ok: /** @type {const} */ (true), payload: JSON.parse(text), text };
};

// serverless-offline (hapi, on Node's defaults) closes an idle connection after
// 5 s; dropping ours a second earlier means an invocation is never written to a
// socket it is closing at that moment.
const IDLE_SOCKET_MS = 4_000;
const agent = new http.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS });

/**
 * One POST to the Invoke API. node:http rather than fetch: every request and
 * every batch passes here, and fetch costs the local stack's one process
 * several times the CPU for the same call.
 * @param {LocalFunction} fn @param {string} body @param {AbortSignal} signal
 * @returns {Promise<{ status: number, functionError: boolean, text: string }>}
 */
const post = (fn, body, signal) =>
  new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port: fn.lambdaPort,
        method: 'POST',
        path: `/2015-03-31/functions/${fn.name}/invocations`,
        headers: { 'content-type': 'application/json', 'x-amz-invocation-type': 'RequestResponse', 'content-length': Buffer.byteLength(body) },
        agent,
        signal,
      },
      (response) => {
        /** @type {Buffer[]} */
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        // The answer can stall or break off after its headers too (serverless-offline stuck or gone mid-answer).
        response.on('error', reject);
        response.on('aborted', () => reject(new Error('the answer broke off')));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, functionError: Boolean(response.headers['x-amz-function-error']), text: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    request.on('error', reject);
    request.end(body);
  });

/** @param {LocalFunction} fn @param {unknown} event @returns {Promise<InvokeResult>} */
const callInvokeApi = async (fn, event) => {
  const deadline = AbortSignal.timeout(fn.timeoutSeconds * 1000 + NO_ANSWER_GRACE_MS);
  let response;
  try {
    response = await post(fn, JSON.stringify(event), deadline);
  } catch (error) {
    if (deadline.aborted) return failure('timeout', `no answer from serverless-offline within ${fn.timeoutSeconds} s + grace`);
    const { code, message } = /** @type {NodeJS.ErrnoException} */ (error);
    return failure('unreachable', `serverless-offline is not reachable: ${code ?? message}`);
  }
  const { text } = response;
  if (response.functionError || response.status !== 200) {
    let detail;
    try {
      detail = JSON.parse(text);
    } catch {
      detail = undefined;
    }
    const message = String(detail?.errorMessage ?? detail?.Message ?? `HTTP ${response.status} ${text.slice(0, 200)}`);
    if (SERVERLESS_OFFLINE_TIMEOUT.test(message)) return failure('timeout', `the function ran past its timeout of ${fn.timeoutSeconds} s`);
    const exited = SERVERLESS_OFFLINE_WORKER_EXIT.exec(message);
    if (exited) return failure('function-error', `its runtime exited (exit code ${exited[1]})`);
    return failure('function-error', message);
  }
  try {
    return parsePayload(text);
  } catch {
    return failure('function-error', `the function's answer is not JSON: ${text.slice(0, 200)}`);
  }
};

/**
 * invoke(functionName, event, { signal }) → InvokeResult. Never rejects for
 * what the function did; rejects only with `signal`'s reason when the caller
 * gave up (its client left, its integration timed out) while the invocation
 * still waited for a slot. Once started, an invocation runs to its end and
 * holds its slot until then, as a Lambda invocation does after API Gateway
 * stopped waiting for it.
 * `recorder` (recorder.mjs), when given, gets one `invoke` hop per invocation that ran, for the local console,
 * with the `trigger` the caller gave. `onRun` is told when it ran and whether
 * it ran alone (which tells whose a function's writes were: iam/write-log.mjs).
 * @param {{ functions: LocalFunction[], defaultConcurrency?: number, queueLimit?: number, recorder?: import('@platform/local-runtime/types').HopRecorder }} options
 */
export const createInvoker = ({ functions, defaultConcurrency = DEFAULT_CONCURRENCY, queueLimit = DEFAULT_QUEUE_LIMIT, recorder }) => {
  const byName = new Map(
    functions.map((fn) => [
      fn.name,
      {
        fn,
        limit: createConcurrencyLimit({ name: fn.name, limit: concurrencyOf(fn, defaultConcurrency), queueLimit }),
        /** The invocations running now, each marked once another ran beside it. @type {Set<{ alone: boolean }>} */
        running: new Set(),
      },
    ]),
  );

  /**
   * @param {string} functionName @param {unknown} event @param {InvokeOptions} [options]
   * @returns {Promise<InvokeResult>}
   */
  const invoke = async (functionName, event, { signal, trigger, onRun } = {}) => {
    const entry = byName.get(functionName);
    if (!entry) return failure('function-error', `no local function named ${functionName}`);
    try {
      return await entry.limit.run(async () => {
        const at = Date.now();
        const started = performance.now();
        const run = { alone: entry.running.size === 0 };
        for (const other of entry.running) other.alone = false;
        entry.running.add(run);
        let result;
        try {
          result = await callInvokeApi(entry.fn, event);
        } finally {
          entry.running.delete(run);
        }
        const durationMs = performance.now() - started;
        usage.invocation({ functionName, durationMs, ok: result.ok });
        recorder?.record({ kind: 'invoke', at, functionName, durationMs: Math.round(durationMs), event, result, ...(trigger && { trigger }), ...(entry.fn.runtime && { runtime: entry.fn.runtime }) });
        onRun?.({ startedAt: at, endedAt: Date.now(), alone: run.alone });
        return result;
      }, signal);
    } catch (error) {
      if (error instanceof ThrottledError) return failure('throttled', error.message);
      throw error;
    }
  };

  /** @param {string} functionName */
  invoke.concurrencyOf = (functionName) => byName.get(functionName)?.limit.limit ?? 0;
  invoke.stats = () => Object.fromEntries([...byName].map(([name, { limit }]) => [name, limit.stats()]));
  return invoke;
};
