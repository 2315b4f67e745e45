// The one way the local stack runs a function: the gateway and every event
// source poller call serverless-offline's Lambda Invoke API through here, so
// the function runs with its serverless.yml environment, timeout and bundle,
// and one concurrency cap per function holds for all of its callers at once,
// as a function's concurrency does in AWS.
import { createConcurrencyLimit, ThrottledError } from './concurrency-limit.mjs';

/** Invocations of one function allowed to run at once, unless its reserved concurrency says less. */
export const DEFAULT_CONCURRENCY = 4;
/** Invocations that may wait for a slot before more are throttled. */
export const DEFAULT_QUEUE_LIMIT = 1_000;
// serverless-offline enforces the function's own timeout; this margin only
// catches a serverless-offline that stopped answering altogether.
const NO_ANSWER_GRACE_MS = 5_000;
const SERVERLESS_OFFLINE_TIMEOUT = /Lambda timeout/;

/**
 * @typedef {{ ok: true, payload: unknown, text: string }
 *   | { ok: false, kind: 'throttled' | 'timeout' | 'function-error' | 'unreachable', error: string }} InvokeResult
 * @typedef {{ name: string, lambdaPort: number, timeoutSeconds: number, reservedConcurrency?: number }} LocalFunction
 */

/** The cap of one function: its reserved concurrency when set, never more than the machine's default. */
export const concurrencyOf = (fn, defaultConcurrency) =>
  fn.reservedConcurrency === undefined ? defaultConcurrency : Math.min(fn.reservedConcurrency, defaultConcurrency);

/**
 * @typedef {'throttled' | 'timeout' | 'function-error' | 'unreachable'} FailureKind
 * @param {FailureKind} kind @param {string} error
 * @returns {{ ok: false, kind: FailureKind, error: string }}
 */
const failure = (kind, error) => ({ ok: false, kind, error });

const parsePayload = (text) => {
  if (text === '') return { ok: /** @type {const} */ (true), payload: null, text: 'null' };
  return { ok: /** @type {const} */ (true), payload: JSON.parse(text), text };
};

/** @param {LocalFunction} fn @param {unknown} event @returns {Promise<InvokeResult>} */
const callInvokeApi = async (fn, event) => {
  const deadline = AbortSignal.timeout(fn.timeoutSeconds * 1000 + NO_ANSWER_GRACE_MS);
  let response;
  let text;
  try {
    response = await fetch(`http://127.0.0.1:${fn.lambdaPort}/2015-03-31/functions/${fn.name}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-amz-invocation-type': 'RequestResponse' },
      body: JSON.stringify(event),
      signal: deadline,
    });
    // The answer can stall or break off after its headers too (serverless-offline stuck or gone mid-answer).
    text = await response.text();
  } catch (error) {
    if (deadline.aborted) return failure('timeout', `no answer from serverless-offline within ${fn.timeoutSeconds} s + grace`);
    return failure('unreachable', `serverless-offline is not reachable: ${error.cause?.code ?? error.message}`);
  }
  if (response.headers.get('x-amz-function-error') || response.status !== 200) {
    let detail;
    try {
      detail = JSON.parse(text);
    } catch {
      detail = undefined;
    }
    const message = detail?.errorMessage ?? detail?.Message ?? `HTTP ${response.status} ${text.slice(0, 200)}`;
    return failure(SERVERLESS_OFFLINE_TIMEOUT.test(message) ? 'timeout' : 'function-error', message);
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
 * @param {{ functions: LocalFunction[], defaultConcurrency?: number, queueLimit?: number }} options
 */
export const createInvoker = ({ functions, defaultConcurrency = DEFAULT_CONCURRENCY, queueLimit = DEFAULT_QUEUE_LIMIT }) => {
  const byName = new Map(
    functions.map((fn) => [fn.name, { fn, limit: createConcurrencyLimit({ name: fn.name, limit: concurrencyOf(fn, defaultConcurrency), queueLimit }) }]),
  );

  /**
   * @param {string} functionName @param {unknown} event @param {{ signal?: AbortSignal }} [options]
   * @returns {Promise<InvokeResult>}
   */
  const invoke = async (functionName, event, { signal } = {}) => {
    const entry = byName.get(functionName);
    if (!entry) return failure('function-error', `no local function named ${functionName}`);
    try {
      return await entry.limit.run(() => callInvokeApi(entry.fn, event), signal);
    } catch (error) {
      if (error instanceof ThrottledError) return failure('throttled', error.message);
      throw error;
    }
  };

  invoke.concurrencyOf = (functionName) => byName.get(functionName)?.limit.limit ?? 0;
  invoke.stats = () => Object.fromEntries([...byName].map(([name, { limit }]) => [name, limit.stats()]));
  return invoke;
};
