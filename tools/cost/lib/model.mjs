// The cost model: pure arithmetic over measured counts and a price table
// (prices.us-east-1.json). It knows no domain: a workload is the counts of one
// unit of work (whatever the caller calls it: an order, an item read), by
// function, table, topic, queue and route; the model prices `per` units of it,
// line by line, biggest first, each with what would shrink it. It also
// prices one idle stage for a month, and models each function's billed
// duration and cost at other memory sizes (memory.mjs). docs/cost.md says why
// each figure is what it is.

/**
 * @typedef {{ usd: number, per: number, unit: string, source: string, note?: string }} Price
 * @typedef {{ region: string, currency: string, asOf: string, about?: string, prices: Record<string, Price> }} PriceTable
 *
 * @typedef {object} FunctionUse  one function, per unit of work
 * @property {string} name
 * @property {number} invocations        invocations per unit
 * @property {number} billedMs           billed duration of one invocation (warm; rounded up to 1 ms)
 * @property {number} memoryMb           configured memory
 * @property {string} architecture       arm64 or x86_64
 * @property {number} logBytes           bytes it wrote to its log per unit (its own lines; the platform's are added)
 * @property {boolean} [traced]          X-Ray active tracing
 *
 * @typedef {object} Workload  what one unit of work uses, counted
 * @property {string} unit               e.g. "order"
 * @property {number} per                how many units the figures are for, e.g. 1000
 * @property {FunctionUse[]} functions
 * @property {{ table: string, mode: 'standard' | 'transactional', readUnits: number, writeUnits: number, functionName?: string }[]} dynamodb
 * @property {{ topic: string, requests: number, functionName?: string }[]} snsPublishes  billed publish requests
 * @property {{ queue: string, deliveries: number }[]} snsDeliveries                     SNS to SQS deliveries
 * @property {{ queue: string, requests: number, caller?: string, functionName?: string }[]} sqs  billed SQS requests (empty long polls of an idle mapping are the idle stage's)
 * @property {{ route: string, requests: number, functionName?: string }[]} http
 *
 * @typedef {object} CostLine
 * @property {string} service
 * @property {string} item               what is counted, e.g. "duration", "write units orders-table (transactional)"
 * @property {string} [functionName]     the function it is spent by or for, when one is
 * @property {number} quantity           for `per` units of work
 * @property {string} unit
 * @property {number} usd
 * @property {string} price              the price table's key
 * @property {string} [shrink]           what would make it smaller
 */

/** What the model assumes beyond the prices: each is stated in docs/cost.md. */
export const ASSUMPTIONS = {
  /** Bytes of Lambda's own lines per invocation: START, END and REPORT (with the X-Ray trace id when traced). */
  platformLogBytesPerInvocation: 300,
  /** Compressed share of a log's ingested bytes, for its storage. */
  logCompression: 0.15,
  /** X-Ray's default sampling rule: the first request each second, then this share. At any real rate the share dominates. */
  xraySampledShare: 0.05,
  /** An SQS event source mapping with nothing to read: long pollers kept per mapping, each ReceiveMessage waiting this long. */
  idlePollersPerMapping: 5,
  idlePollWaitSeconds: 20,
  /** A month, for the idle stage. */
  secondsPerMonth: 30 * 24 * 3600,
  daysPerMonth: 30,
};

const GB = 1024 ** 3;

/** @param {PriceTable} table @param {string} key @returns {Price} */
export const priceOf = (table, key) => {
  const price = table.prices[key];
  if (!price || !Number.isFinite(price.usd) || !(price.per > 0)) throw new Error(`the price table has no price "${key}"`);
  return price;
};

/** USD for `quantity` units at a price. @param {PriceTable} table @param {string} key @param {number} quantity */
export const usdFor = (table, key, quantity) => {
  const price = priceOf(table, key);
  return (quantity * price.usd) / price.per;
};

/** Lambda's duration price of an architecture. @param {string} architecture */
export const durationPriceKey = (architecture) => `lambda.duration.${architecture === 'arm64' ? 'arm64' : 'x86_64'}`;

/** GB-seconds of `invocations` invocations billed `billedMs` each at `memoryMb`. @param {number} invocations @param {number} billedMs @param {number} memoryMb */
export const gbSeconds = (invocations, billedMs, memoryMb) => (invocations * billedMs * memoryMb) / 1000 / 1024;

/**
 * Prices `workload.per` units of a workload: one line per thing counted, biggest first.
 * @param {Workload} workload @param {PriceTable} table @param {{ logRetentionDays?: number, assumptions?: typeof ASSUMPTIONS }} [options]
 */
export const priceWorkload = (workload, table, { logRetentionDays = 14, assumptions = ASSUMPTIONS } = {}) => {
  const n = workload.per;
  /** @type {CostLine[]} */
  const lines = [];
  /** @param {Omit<CostLine, 'usd'>} line */
  const add = (line) => {
    if (!(line.quantity > 0)) return;
    lines.push({ ...line, usd: usdFor(table, line.price, line.quantity) });
  };

  for (const fn of workload.functions) {
    const invocations = fn.invocations * n;
    const x86 = fn.architecture !== 'arm64';
    add({ service: 'Lambda', item: 'requests', functionName: fn.name, quantity: invocations, unit: 'invocations', price: 'lambda.request', shrink: 'fewer invocations per unit: a larger batch size or a batching window on its event source' });
    add({
      service: 'Lambda',
      item: `duration (${fn.memoryMb} MB, ${fn.architecture}, ${round(fn.billedMs, 1)} ms billed)`,
      functionName: fn.name,
      quantity: gbSeconds(invocations, fn.billedMs, fn.memoryMb),
      unit: 'GB-seconds',
      price: durationPriceKey(fn.architecture),
      shrink: `the memory size the memory model recommends${x86 ? '; arm64 (about 20% cheaper per GB-second)' : ''}; less work per invocation`,
    });
    const logBytes = fn.logBytes * n + invocations * assumptions.platformLogBytesPerInvocation;
    add({ service: 'CloudWatch Logs', item: 'ingestion', functionName: fn.name, quantity: logBytes / GB, unit: 'GB', price: 'logs.ingestion', shrink: 'a higher log level in deployed stages (WARN), fewer and shorter lines per invocation, or Lambda\'s application log level filter' });
    add({
      service: 'CloudWatch Logs',
      item: `storage (${logRetentionDays} days retained)`,
      functionName: fn.name,
      quantity: (logBytes * assumptions.logCompression * logRetentionDays) / assumptions.daysPerMonth / GB,
      unit: 'GB-months',
      price: 'logs.storage',
      shrink: 'a shorter retention',
    });
    if (fn.traced) {
      add({ service: 'X-Ray', item: `traces (${round(assumptions.xraySampledShare * 100, 1)}% sampled)`, functionName: fn.name, quantity: invocations * assumptions.xraySampledShare, unit: 'traces', price: 'xray.trace.recorded', shrink: 'a sampling rule with a lower rate' });
    }
  }
  for (const d of workload.dynamodb) {
    const tx = d.mode === 'transactional' ? ' (transactional: 2 units per 1 KB)' : '';
    add({ service: 'DynamoDB', item: `write units ${d.table}${tx}`, functionName: d.functionName, quantity: d.writeUnits * n, unit: 'write request units', price: 'dynamodb.ondemand.write', shrink: `smaller items (a unit per 1 KB written)${tx ? '; a single conditional write where the transaction guards nothing more' : ''}` });
    add({ service: 'DynamoDB', item: `read units ${d.table}${d.mode === 'transactional' ? ' (transactional)' : ''}`, functionName: d.functionName, quantity: d.readUnits * n, unit: 'read request units', price: 'dynamodb.ondemand.read', shrink: 'eventually consistent reads; projections that leave out what is not read; a cache in front of hot reads' });
  }
  for (const p of workload.snsPublishes) {
    add({ service: 'SNS', item: `publishes ${p.topic}`, functionName: p.functionName, quantity: p.requests * n, unit: 'requests', price: 'sns.publish', shrink: 'PublishBatch: up to 10 messages in one request' });
  }
  for (const d of workload.snsDeliveries) {
    add({ service: 'SNS', item: `deliveries to SQS ${d.queue}`, quantity: d.deliveries * n, unit: 'deliveries', price: 'sns.delivery.sqs' });
  }
  for (const q of workload.sqs) {
    add({ service: 'SQS', item: `requests ${q.queue}${q.caller ? ` by ${q.caller}` : ''}`, functionName: q.functionName, quantity: q.requests * n, unit: 'requests', price: 'sqs.request', shrink: 'more messages per receive and delete: a larger batch size and a batching window' });
  }
  for (const h of workload.http) {
    add({ service: 'API Gateway', item: `requests ${h.route}`, functionName: h.functionName, quantity: h.requests * n, unit: 'requests', price: 'apigateway.http.request', shrink: 'fewer calls per unit (a client that batches, or a CDN cache for public reads)' });
  }
  // Free lines (deliveries to SQS) stay listed with their quantity, after the rest.
  lines.sort((a, b) => b.usd - a.usd || b.quantity - a.quantity);
  return { unit: workload.unit, per: n, lines, total: sum(lines.map((l) => l.usd)), byService: groupSum(lines, (l) => l.service), byFunction: groupSum(lines, (l) => l.functionName ?? '(not one function)') };
};

/**
 * @typedef {object} StageFacts  what one stage deploys, from its compiled templates
 * @property {number} alarms               standard-resolution metric alarms
 * @property {number} alarmMetrics         metrics those alarms read (a metric-math alarm reads several)
 * @property {number} compositeAlarms
 * @property {number} dashboards
 * @property {number} kmsKeys
 * @property {number} secrets
 * @property {number} sqsEventSourceMappings
 * @property {{ functionName: string, expression: string, everySeconds: number | undefined }[]} [schedules]  functions run on a timer
 */

/**
 * What one stage costs a month with no traffic at all.
 * @param {StageFacts} facts @param {PriceTable} table
 * @param {{ assumptions?: typeof ASSUMPTIONS, freeDashboards?: number, functions?: Pick<FunctionUse, 'name' | 'billedMs' | 'memoryMb' | 'architecture' | 'logBytes'>[] }} [options]
 *   freeDashboards: the account's free dashboards this stage may use (0: it pays for its own);
 *   functions: the scheduled functions' measured billed duration and log bytes per invocation (their runs are priced without them otherwise)
 */
export const idleStage = (facts, table, { assumptions = ASSUMPTIONS, freeDashboards = 0, functions = [] } = {}) => {
  const idlePolls = facts.sqsEventSourceMappings * assumptions.idlePollersPerMapping * (assumptions.secondsPerMonth / assumptions.idlePollWaitSeconds);
  /** @type {CostLine[]} */
  const lines = [
    { service: 'CloudWatch', item: `alarms (${facts.alarms}, reading ${facts.alarmMetrics} metrics)`, quantity: facts.alarmMetrics, unit: 'alarm metric-months', price: 'cloudwatch.alarm.standard', shrink: 'one alarm per signal that pages someone; fold the rest into a composite alarm or the dashboard' },
    { service: 'CloudWatch', item: 'composite alarms', quantity: facts.compositeAlarms, unit: 'alarm-months', price: 'cloudwatch.alarm.composite' },
    { service: 'CloudWatch', item: 'dashboards', quantity: Math.max(0, facts.dashboards - freeDashboards), unit: 'dashboard-months', price: 'cloudwatch.dashboard', shrink: 'no dashboard on short-lived stages (the account\'s first 3 are free)' },
    { service: 'KMS', item: 'customer managed keys', quantity: facts.kmsKeys, unit: 'key-months', price: 'kms.key', shrink: 'the AWS managed key on short-lived stages' },
    { service: 'Secrets Manager', item: 'secrets', quantity: facts.secrets, unit: 'secret-months', price: 'secretsmanager.secret' },
    {
      service: 'SQS',
      item: `empty long polls of ${facts.sqsEventSourceMappings} idle event source mappings (${assumptions.idlePollersPerMapping} pollers × 1 per ${assumptions.idlePollWaitSeconds} s)`,
      quantity: idlePolls,
      unit: 'requests',
      price: 'sqs.request',
      shrink: 'fewer queues (one consumer queue per service rather than per event type)',
    },
    { service: 'CloudWatch Logs', item: 'log storage (no traffic, nothing ingested)', quantity: 0, unit: 'GB-months', price: 'logs.storage' },
    ...(facts.schedules ?? []).flatMap((s) => {
      if (s.everySeconds === undefined) return [];
      const runs = assumptions.secondsPerMonth / s.everySeconds;
      const fn = functions.find((f) => f.name === s.functionName);
      const timed = fn ? `, ${fn.billedMs.toFixed(0)} ms billed at ${fn.memoryMb} MB` : ', duration not measured';
      return [
        { service: 'Lambda', item: `${s.functionName} on ${s.expression}: requests`, quantity: runs, unit: 'invocations', price: 'lambda.request', shrink: 'a longer interval' },
        ...(fn
          ? [
              { service: 'Lambda', item: `${s.functionName} on ${s.expression}: duration${timed}`, quantity: gbSeconds(runs, fn.billedMs, fn.memoryMb), unit: 'GB-seconds', price: durationPriceKey(fn.architecture), shrink: 'a longer interval; less work when nothing is due' },
              { service: 'CloudWatch Logs', item: `${s.functionName} on ${s.expression}: log ingestion`, quantity: (runs * (fn.logBytes + assumptions.platformLogBytesPerInvocation)) / GB, unit: 'GB', price: 'logs.ingestion', shrink: 'no log line when a run finds nothing' },
            ]
          : []),
      ];
    }),
  ].map((line) => ({ ...line, usd: usdFor(table, line.price, line.quantity) }));
  lines.sort((a, b) => b.usd - a.usd);
  return { lines, total: sum(lines.map((l) => l.usd)), idleSqsRequests: idlePolls };
};

/** @param {number[]} values */
export const sum = (values) => values.reduce((total, v) => total + v, 0);
/** @param {number} value @param {number} digits */
const round = (value, digits) => Math.round(value * 10 ** digits) / 10 ** digits;

/** @param {CostLine[]} lines @param {(line: CostLine) => string} keyOf @returns {{ key: string, usd: number }[]} biggest first */
const groupSum = (lines, keyOf) => {
  /** @type {Map<string, number>} */
  const totals = new Map();
  for (const line of lines) totals.set(keyOf(line), (totals.get(keyOf(line)) ?? 0) + line.usd);
  return [...totals].map(([key, usd]) => ({ key, usd })).sort((a, b) => b.usd - a.usd);
};
