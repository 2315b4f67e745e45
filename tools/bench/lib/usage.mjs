// What the stack's functions used while a phase ran, from the stack's own
// usage meter (@platform/local-runtime/stack/usage: the IAM proxies, the
// pollers, the gateway, the invoker and each worker thread count into it),
// and how to turn it into the cost model's counts per unit of work
// (@platform/cost). What a unit of work is, and how many a phase did, is the
// scenario's to say.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { LOCAL_PACKAGE_DIR } from '@platform/local-runtime/cloudformation/compiled-stack';
import { discoverServices } from '@platform/local-runtime/stack/services';
import { peakHeapMb, USAGE_PATH, usageDelta } from '@platform/local-runtime/stack/usage';
import { functionConfigs, stageFacts } from '@platform/cost/lib/templates';

/**
 * @typedef {import('@platform/local-runtime/stack/usage').UsageSnapshot} UsageSnapshot
 * @typedef {import('@platform/cost/lib/templates').FunctionConfig} FunctionConfig
 */

/** The stack's usage counters now. @param {string} apiUrl @returns {Promise<UsageSnapshot>} */
export const readUsage = async (apiUrl) => {
  const response = await fetch(new URL(USAGE_PATH, apiUrl));
  if (!response.ok) throw new Error(`GET ${USAGE_PATH}: ${response.status}`);
  return /** @type {Promise<UsageSnapshot>} */ (response.json());
};

/**
 * Starts counting: `stop()` says what was used since (the counters' difference; `at`: the milliseconds between).
 * @param {string} apiUrl
 */
export const startUsage = async (apiUrl) => {
  const before = await readUsage(apiUrl);
  return { stop: async () => usageDelta(await readUsage(apiUrl), before) };
};

/** Each service's newest compiled local template (what the stack runs). @returns {any[]} */
export const compiledTemplates = () =>
  discoverServices().flatMap((service) => {
    const root = path.join(service.dir, LOCAL_PACKAGE_DIR);
    if (!existsSync(root)) return [];
    const newest = readdirSync(root)
      .map((name) => path.join(root, name, 'cloudformation-template-update-stack.json'))
      .filter((file) => existsSync(file))
      .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
    return newest ? [JSON.parse(readFileSync(newest, 'utf8'))] : [];
  });

/** @param {any} node @returns {Record<string, any>} */
const obj = (node) => (node && typeof node === 'object' ? node : {});
/** @param {any} value */
const num = (value) => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/**
 * The cost model's counts for one unit of work, from what a phase used: every count divided by
 * `units`, the units the phase completed. Empty receives of the pollers are left out (the idle
 * stage models them); so are the functions `exclude` names (run by a schedule, not by the work).
 * @param {{ delta: Record<string, any>, unit: string, per: number, units: number, configs: Map<string, FunctionConfig>, traced: boolean, exclude?: (name: string) => boolean }} options
 *   traced: whether deployed stages trace the functions (X-Ray active tracing)
 * @returns {import('@platform/cost/lib/model').Workload}
 */
export const workloadFromUsage = ({ delta, unit, per, units, configs, traced, exclude = () => false }) => {
  const each = (/** @type {number} */ n) => n / units;
  const functions = Object.entries(obj(delta.functions))
    .filter(([name]) => !exclude(name))
    .map(([name, f]) => {
      const config = configs.get(name);
      const timed = num(f.warm?.invocations) > 0 ? f.warm : f.cold;
      const invocations = num(f.invocations) || num(f.warm?.invocations) + num(f.cold?.invocations);
      return {
        name,
        invocations: each(invocations),
        billedMs: num(timed?.invocations) > 0 ? num(timed.billedMs) / num(timed.invocations) : 0,
        memoryMb: config?.memoryMb ?? 128,
        architecture: config?.architecture ?? 'x86_64',
        logBytes: each(num(f.logBytes)),
        traced,
      };
    })
    .filter((f) => f.invocations > 0);

  /** @type {import('@platform/cost/lib/model').Workload['dynamodb']} */
  const dynamodb = [];
  for (const [table, modes] of Object.entries(obj(delta.dynamodb))) {
    for (const [mode, callers] of Object.entries(obj(modes))) {
      for (const [functionName, operations] of Object.entries(obj(callers))) {
        if (exclude(functionName)) continue;
        const ops = Object.values(obj(operations));
        dynamodb.push({
          table,
          mode: mode === 'transactional' ? 'transactional' : 'standard',
          functionName,
          readUnits: each(ops.reduce((s, o) => s + num(o.readUnits), 0)),
          writeUnits: each(ops.reduce((s, o) => s + num(o.writeUnits), 0)),
        });
      }
    }
  }

  /** @type {import('@platform/cost/lib/model').Workload['snsPublishes']} */
  const snsPublishes = [];
  for (const [topic, callers] of Object.entries(obj(delta.sns))) {
    for (const [functionName, operations] of Object.entries(obj(callers))) {
      if (exclude(functionName)) continue;
      const publish = Object.entries(obj(operations)).filter(([op]) => op.startsWith('Publish'));
      const requests = publish.reduce((s, [, o]) => s + num(o.requests), 0);
      if (requests > 0) snsPublishes.push({ topic, functionName, requests: each(requests) });
    }
  }

  /** @type {import('@platform/cost/lib/model').Workload['sqs']} */
  const sqs = [];
  /** @type {import('@platform/cost/lib/model').Workload['snsDeliveries']} */
  const snsDeliveries = [];
  for (const [queue, callers] of Object.entries(obj(delta.sqs))) {
    for (const [caller, operations] of Object.entries(obj(callers))) {
      const functionName = caller.replace(/ \(event source mapping\)$/, '');
      if (exclude(functionName)) continue;
      let requests = 0;
      for (const [op, o] of Object.entries(obj(operations))) {
        // An empty receive is a poller waiting: the idle stage's, not the work's.
        requests += op === 'ReceiveMessage' ? num(o.requests) - num(o.empty) : num(o.requests);
        if (op === 'ReceiveMessage' && caller !== functionName) snsDeliveries.push({ queue, deliveries: each(num(o.messages)) });
      }
      if (requests > 0) sqs.push({ queue, caller, functionName, requests: each(requests) });
    }
  }

  /** @type {import('@platform/cost/lib/model').Workload['http']} */
  const http = [];
  for (const [route, targets] of Object.entries(obj(delta.http))) {
    for (const [functionName, counts] of Object.entries(obj(targets))) {
      if (num(counts.requests) > 0) http.push({ route, functionName, requests: each(num(counts.requests)) });
    }
  }
  return { unit, per, functions, dynamodb, snsPublishes, snsDeliveries: snsDeliveries.filter((d) => d.deliveries > 0), sqs, http };
};

/**
 * Each function's measured CPU and wait per warm invocation, and the peak of its heap (to 8 MB), for the memory model.
 * @param {Record<string, any>} delta @param {Map<string, FunctionConfig>} configs
 * @returns {import('@platform/cost/lib/memory').MeasuredFunction[]}
 */
export const measuredFunctions = (delta, configs) =>
  Object.entries(obj(delta.functions))
    .filter(([, f]) => num(f.warm?.invocations) > 0)
    .map(([name, f]) => {
      const config = configs.get(name);
      const n = num(f.warm.invocations);
      return {
        name,
        invocations: n,
        cpuMs: num(f.warm.cpuMs) / n,
        waitMs: num(f.warm.waitMs) / n,
        heapMb: peakHeapMb(f.warm.heapMbAtMost),
        memoryMb: config?.memoryMb ?? 128,
        architecture: config?.architecture ?? 'x86_64',
        synchronous: config?.http ?? false,
        timeoutMs: config?.timeoutMs,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));

/**
 * Adds two usage deltas (the same functions measured in two phases).
 * @param {Record<string, any>} a @param {Record<string, any>} b @returns {Record<string, any>}
 */
export const addUsage = (a, b) => {
  /** @type {Record<string, any>} */
  const out = { ...a };
  for (const [key, value] of Object.entries(b)) {
    if (typeof value === 'number') out[key] = num(out[key]) + value;
    else out[key] = addUsage(obj(out[key]), obj(value));
  }
  return out;
};

export { functionConfigs, stageFacts };
