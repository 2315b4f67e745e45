// What the local stack's functions use, counted where it happens, for the
// cost model (tools/cost, docs/cost.md): the IAM proxies count every
// DynamoDB, SNS and SQS call of each function (with the capacity units
// DynamoDB Local reports), the pollers their SQS requests, the gateway its
// requests, the invoker each invocation, and each function's worker thread
// its CPU time, duration and log output (lambda/worker-meter.cjs). It knows
// no domain: everything is keyed by function, table, topic, queue and route.
//
// The counters only grow. `snapshot()` is their value now, and a caller (the
// bench) takes one before and one after what it measures and subtracts them
// (`usageDelta`). The gateway serves it at USAGE_PATH on the stack's own
// port, beside the dev issuer's keys.

/** The width of the heap's buckets (runtime). */
const HEAP_BUCKET_MB = 8;

/**
 * The peak heap of a stretch from its buckets' counts (an upper bound, to the bucket's width).
 * @param {Counters | undefined} buckets @returns {number | undefined}
 */
export const peakHeapMb = (buckets) => {
  const seen = Object.entries(buckets ?? {}).filter(([, n]) => typeof n === 'number' && n > 0).map(([mb]) => Number(mb));
  return seen.length > 0 ? Math.max(...seen) : undefined;
};

/** Where the gateway serves the snapshot (GET). */
export const USAGE_PATH = '/.local/usage';

/**
 * @typedef {{ [key: string]: number | Counters }} Counters
 * @typedef {{ at: number, functions: Counters, dynamodb: Counters, sns: Counters, sqs: Counters, http: Counters }} UsageSnapshot
 */

/** @param {Counters} into @param {string[]} path @param {Record<string, number>} values */
const add = (into, path, values) => {
  let node = into;
  for (const key of path) node = /** @type {Counters} */ (node[key] ??= {});
  for (const [name, value] of Object.entries(values)) {
    if (!Number.isFinite(value)) continue;
    node[name] = /** @type {number} */ (node[name] ?? 0) + value;
  }
};

/** @param {Counters} counters @returns {Counters} */
const copy = (counters) => JSON.parse(JSON.stringify(counters));

/** The read and write operations of DynamoDB's data plane, and which are transactions. */
const DYNAMODB_READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);
const DYNAMODB_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

/**
 * Whether a DynamoDB operation reads or writes (a PartiQL statement by its verb), and whether it is a transaction.
 * @param {string} operation @param {string} [statement]
 * @returns {{ kind: 'read' | 'write' | undefined, transactional: boolean }}
 */
export const dynamodbKind = (operation, statement) => {
  const transactional = operation.startsWith('Transact') || operation === 'ExecuteTransaction';
  if (DYNAMODB_READS.has(operation)) return { kind: 'read', transactional };
  if (DYNAMODB_WRITES.has(operation)) return { kind: 'write', transactional };
  if (statement !== undefined) return { kind: /^\s*select\b/i.test(statement) ? 'read' : 'write', transactional };
  return { kind: undefined, transactional };
};

export const createUsage = () => {
  /** @type {Omit<UsageSnapshot, 'at'>} */
  let counters = { functions: {}, dynamodb: {}, sns: {}, sqs: {}, http: {} };
  return {
    /**
     * One DynamoDB call of a function: its capacity units by table, as DynamoDB Local reported
     * them, or (`modelled`) as AWS would charge a call whose answer carries none (a failed condition).
     * @param {{ functionName: string, operation: string, kind: 'read' | 'write', transactional: boolean,
     *   capacity: { table: string, units: number }[], modelled?: boolean, failed?: boolean }} call
     */
    dynamodb: ({ functionName, operation, kind, transactional, capacity, modelled = false, failed = false }) => {
      const mode = transactional ? 'transactional' : 'standard';
      const unit = kind === 'read' ? 'readUnits' : 'writeUnits';
      const tables = capacity.length > 0 ? capacity : [{ table: '?', units: 0 }];
      tables.forEach(({ table, units }, index) =>
        add(counters.dynamodb, [table, mode, functionName, operation], {
          // A call over several tables is one request, counted with its first.
          requests: index === 0 ? 1 : 0,
          [unit]: units,
          ...(modelled && { [`${unit}Modelled`]: units }),
          ...(failed && { failed: index === 0 ? 1 : 0 }),
        }),
      );
    },
    /**
     * SNS or SQS requests of a caller (a function, or an event source mapping's poller).
     * requests: billed requests (each 64 KB chunk of payload is one); messages: entries carried.
     * @param {{ service: 'sns' | 'sqs', caller: string, operation: string, resource: string, requests: number, messages?: number, empty?: boolean, bytes?: number }} call
     */
    messaging: ({ service, caller, operation, resource, requests, messages = 0, empty = false, bytes = 0 }) =>
      add(counters[service], [resource, caller, operation], { calls: 1, requests, messages, bytes, ...(empty && { empty: 1 }) }),
    /** One request the gateway routed to a function (or answered itself for it: a refused token). @param {{ route: string, functionName?: string, status: number | string }} request */
    http: ({ route, functionName = '-', status }) => add(counters.http, [route, functionName], { requests: 1, [`status${String(status).slice(0, 1)}xx`]: 1 }),
    /** One invocation, as the invoker saw it (its wall time, serverless-offline's overhead included). @param {{ functionName: string, durationMs: number, ok: boolean }} run */
    invocation: ({ functionName, durationMs, ok }) => add(counters.functions, [functionName], { invocations: 1, invokerMs: durationMs, ...(ok ? {} : { failed: 1 }) }),
    /**
     * One invocation as its worker thread measured it (lambda/worker-meter.cjs): the handler's
     * wall time and its thread's CPU time, and what it wrote to stdout and stderr. A cold one
     * (its worker's first, the module load included) is counted apart.
     * heapMb: the heap its thread held as it ended (summed: divided by the invocations, the mean; and counted by 8 MB bucket, for the peak).
     * @param {{ functionName: string, cold: boolean, durationMs: number, cpuMs: number, heapMb?: number, logBytes: number, logLines: number, emfLines: number, emfMetrics: number }} run
     */
    runtime: ({ functionName, cold, durationMs, cpuMs, heapMb = Number.NaN, logBytes, logLines, emfLines, emfMetrics }) => {
      const phase = cold ? 'cold' : 'warm';
      add(counters.functions, [functionName, phase], {
        invocations: 1,
        durationMs,
        billedMs: Math.ceil(durationMs),
        cpuMs,
        waitMs: Math.max(0, durationMs - cpuMs),
        heapMb,
      });
      // The heap by 8 MB bucket (a count per bucket), so that the peak of any stretch is known from its difference.
      if (Number.isFinite(heapMb)) add(counters.functions, [functionName, phase, 'heapMbAtMost'], { [String(Math.ceil(heapMb / HEAP_BUCKET_MB) * HEAP_BUCKET_MB)]: 1 });
      add(counters.functions, [functionName], { logBytes, logLines, emfLines, emfMetrics });
    },
    /** @returns {UsageSnapshot} */
    snapshot: () => ({ at: Date.now(), .../** @type {Omit<UsageSnapshot, 'at'>} */ (copy(counters)) }),
    reset: () => {
      counters = { functions: {}, dynamodb: {}, sns: {}, sqs: {}, http: {} };
    },
  };
};

/** @typedef {ReturnType<typeof createUsage>} Usage */

/** The stack's one meter: every part of the local runtime in this process counts into it. */
export const usage = createUsage();

/**
 * What happened between two snapshots: `after` minus `before`, counter by counter (a counter
 * absent before counts from zero; branches with nothing in them are left out).
 * @template {Counters} T @param {T} after @param {Partial<T>} [before]
 * @returns {T}
 */
export const usageDelta = (after, before = {}) => {
  /** @type {Counters} */
  const out = {};
  for (const [key, value] of Object.entries(after)) {
    const then = /** @type {Counters} */ (before)[key];
    if (typeof value === 'number') {
      const d = value - (typeof then === 'number' ? then : 0);
      if (d !== 0) out[key] = d;
    } else {
      const inner = usageDelta(value, typeof then === 'object' ? then : {});
      if (Object.keys(inner).length > 0) out[key] = inner;
    }
  }
  return /** @type {T} */ (out);
};

/**
 * The gateway's extra that answers GET USAGE_PATH with the meter's snapshot.
 * @param {Usage} [meter]
 * @returns {import('@platform/local-runtime/types').GatewayExtra}
 */
export const serveUsage = (meter = usage) => (req, res, pathname) => {
  if (pathname !== USAGE_PATH || req.method !== 'GET') return false;
  const body = JSON.stringify(meter.snapshot());
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
  return true;
};
