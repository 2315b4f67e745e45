#!/usr/bin/env node
// `npm run faults`: an emulator outage injected into an order run mid-flow, on
// a local stack of its own, then the soak's invariants checked after recovery
// and every client-visible failure during the outage checked too.
//   --orders N   orders per scenario (default 200)
//   --concurrency C   orders in flight at once (default 6; 100 posts a burst)
//   --only a,b   scenarios to run (default: all, see scenarios())
//   --outage-seconds S   how long each outage lasts (default 20)
// Exit code 0 when every invariant held, 1 when one did not, 2 on a usage or setup error.
import { readFileSync, readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { sleep } from '@platform/bench/lib/stats';
import { startLocalStack } from '@platform/local-stack/process';
import { localClientConfig } from '@platform/local-runtime/aws';
import { startFaultProxy } from '@platform/local-runtime/faults/fault-proxy';

const usage = 'usage: npm run faults -- [--orders 200] [--concurrency 6] [--only dynamodb-stall,...] [--seed S] [--outage-seconds 20]';

/** The functions' timeout (serverless.yml) and the gateway's integration timeout, in ms. */
const FUNCTION_TIMEOUT_MS = 6_000;
const INTEGRATION_TIMEOUT_MS = 30_000;
/** How long an outage lasts (--outage-seconds): 20 s, as the issue asks; npm test runs a shorter one. */
const DEFAULT_OUTAGE_MS = 20_000;

/**
 * Each scenario injects its faults in windows, ms after the orders start:
 * - `freezes`: DynamoDB Local stopped (SIGSTOP, then SIGCONT): connections open and requests sent, no answer;
 * - `outages`: an emulator unreachable for the Lambda side of the stack (its functions and
 *   pollers reach it through a fault proxy, LOCAL_RUNTIME_*_PORT): new connections
 *   refused, open ones reset;
 * - `env`: settings of the stack for the whole run (LOCAL_FAULT_CONSUMER_THROW_EVERY: the local
 *   SQS pollers fail records themselves, tools/local-runtime/event-sources/sqs-event-source.mjs).
 * @typedef {{ what: string, freezes?: Array<[number, number]>, outages?: Array<{ emulator: 'dynamodb' | 'snsSqs', at: number, ms: number }>, env?: Record<string, string> }} Scenario
 * @param {number} [outageMs]
 * @returns {Record<string, Scenario>}
 */
export const scenarios = (outageMs = DEFAULT_OUTAGE_MS) => ({
  'dynamodb-stall': { what: `DynamoDB Local frozen (SIGSTOP) for ${outageMs / 1000} s: connections hang, for functions and stream pollers alike`, freezes: [[3_000, outageMs]] },
  'dynamodb-slow': {
    what: 'DynamoDB answering slower than the 6 s function timeout: frozen 7 s, 0.5 s of answers, three times over',
    freezes: [
      [3_000, 7_000],
      [10_500, 7_000],
      [18_000, 7_000],
    ],
  },
  'dynamodb-down': { what: `DynamoDB unreachable for the functions and pollers for ${outageMs / 1000} s (connections refused, open ones reset)`, outages: [{ emulator: 'dynamodb', at: 3_000, ms: outageMs }] },
  'sns-sqs-down': { what: `SNS/SQS unreachable for the functions and pollers for ${outageMs / 1000} s (connections refused, open ones reset)`, outages: [{ emulator: 'snsSqs', at: 3_000, ms: outageMs }] },
  'consumer-throws': { what: 'every SQS poller failing 1 record in 7 it takes, alternately before handing it to the function and after (the acknowledgement lost)', env: { LOCAL_FAULT_CONSUMER_THROW_EVERY: '7' } },
});

/** The pid of the DynamoDB Local JVM below the stack's start.mjs. @param {number} root */
const dynamoDbLocalPid = (root) => {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(Number(entry), ppid);
    } catch {
      // gone meanwhile
    }
  }
  const below = (/** @type {number} */ pid) => {
    for (let p = pid; p > 1; p = children.get(p) ?? 0) if (p === root) return true;
    return false;
  };
  for (const pid of children.keys()) {
    if (!below(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('DynamoDBLocal')) return pid;
    } catch {
      // gone meanwhile
    }
  }
  throw new Error('no DynamoDB Local process below the stack');
};

/**
 * How long each request waited for a free function instance, from the gateway's lines
 * (`METHOD /path → service STATUS (N ms, Q ms of it queued for a free instance) REQUESTID…`),
 * by request id: the requests that waited 100 ms or more.
 * @param {string} output @returns {Map<string, number>}
 */
const queuedByRequest = (output) => {
  /** @type {Map<string, number>} */
  const queued = new Map();
  for (const match of output.matchAll(/ → .*?, (\d+) ms of it queued for a free instance\) ([^\s:]+)/g)) queued.set(/** @type {string} */ (match[2]), Number(match[1]));
  return queued;
};

const main = async () => {
  const { values } = parseArgs({ options: { orders: { type: 'string' }, concurrency: { type: 'string' }, only: { type: 'string' }, seed: { type: 'string' }, 'outage-seconds': { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const orders = Number(values.orders ?? 200);
  const concurrency = Number(values.concurrency ?? 6);
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
  const outageSeconds = Number(values['outage-seconds'] ?? DEFAULT_OUTAGE_MS / 1000);
  if (!(outageSeconds >= 1 && outageSeconds <= 600)) {
    console.error(`${usage}\n--outage-seconds must be from 1 to 600`);
    return 2;
  }
  const chosen = scenarios(outageSeconds * 1000);
  const only = values.only ? values.only.split(',') : Object.keys(chosen);
  const unknown = only.filter((name) => !chosen[name]);
  if (unknown.length > 0 || !Number.isSafeInteger(orders) || orders < 1 || !Number.isSafeInteger(concurrency) || concurrency < 1 || !Number.isSafeInteger(seed)) {
    console.error(`${usage}\nscenarios: ${Object.keys(chosen).join(', ')}`);
    return 2;
  }
  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  const { checkInvariants, isApiUnavailable, runWorkload, waitForOutcomes } = await import('./lib/soak.mjs');
  const log = (/** @type {string} */ line) => console.log(`[faults ${new Date().toISOString().slice(11, 19)}] ${line}`);

  /** @type {Record<string, any>[]} */
  const table = [];
  let failed = false;
  for (const name of only) {
    const scenario = /** @type {Scenario} */ (chosen[name]);
    log(`${name}: ${scenario.what}; ${orders} orders, ${concurrency} at a time, seed ${seed}; starting a local stack`);
    const started = Date.now();
    /** @type {Record<string, Awaited<ReturnType<typeof startFaultProxy>>>} */
    const proxies = {};
    const stack = await startLocalStack({
      env: async ({ dynamodb: dynamodbPort, snsSqs }) => {
        if (!scenario.outages) return { ...scenario.env };
        proxies.dynamodb = await startFaultProxy({ targetPort: dynamodbPort });
        proxies.snsSqs = await startFaultProxy({ targetPort: snsSqs });
        return { ...scenario.env, LOCAL_RUNTIME_DYNAMODB_PORT: String(proxies.dynamodb.port), LOCAL_RUNTIME_SNS_SQS_PORT: String(proxies.snsSqs.port) };
      },
    });
    const dynamodb = new DynamoDBClient(localClientConfig(stack.dynamodbEndpoint));
    try {
      const jvm = dynamoDbLocalPid(stack.pid);
      /** @type {{ from: number, to: number }} */
      const outage = { from: 0, to: 0 };
      /** @param {number} start @param {number} at @param {number} ms @param {string} what @param {() => unknown} begin @param {() => unknown} end */
      const faultWindow = async (start, at, ms, what, begin, end) => {
        await sleep(Math.max(0, start + at - Date.now()));
        outage.from ||= Date.now();
        log(`${name}: ${what} for ${ms / 1000} s`);
        await begin();
        try {
          await sleep(ms);
        } finally {
          await end();
          outage.to = Date.now();
          log(`${name}: ${what}: over`);
        }
      };
      const inject = async () => {
        const start = Date.now();
        for (const [at, ms] of scenario.freezes ?? []) {
          await faultWindow(start, at, ms, 'DynamoDB frozen', () => process.kill(jvm, 'SIGSTOP'), () => process.kill(jvm, 'SIGCONT'));
        }
        for (const { emulator, at, ms } of scenario.outages ?? []) {
          const proxy = /** @type {NonNullable<typeof proxies[string]>} */ (proxies[emulator]);
          await faultWindow(start, at, ms, `${emulator === 'dynamodb' ? 'DynamoDB' : 'SNS/SQS'} unreachable`, () => proxy.setMode('refuse'), () => proxy.setMode('pass'));
        }
        outage.to ||= Date.now();
      };
      const [workload] = await Promise.all([runWorkload({ apiUrl: stack.apiUrl, orders, items: 10, seed, concurrency, deletes: 1, log }), inject()]);
      log(`${name}: ${workload.orders.length} orders placed in ${(workload.placedMs / 1000).toFixed(1)} s; waiting for their outcomes`);
      const orderIds = new Set(workload.orders.flatMap((o) => (o.orderId ? [o.orderId] : [])));
      const wait = await waitForOutcomes({ dynamodb, orderIds, stallMs: 120_000, capMs: 600_000, log });
      const { figures, violations } = await checkInvariants({ dynamodb, snsSqsEndpoint: stack.snsSqsEndpoint, workload });
      const output = stack.output();
      // A scenario that injects faults in the SQS pollers must have injected some, or it proved nothing.
      const injected = (output.match(/"name":"InjectedFault"/g) ?? []).length;
      if (scenario.env?.LOCAL_FAULT_CONSUMER_THROW_EVERY && injected === 0) violations.push('no SQS poller injected a fault: the setting never reached the pollers');
      const denied = output.split('\n').filter((line) => line.includes('[iam] DENIED'));
      for (const line of denied.slice(0, 5)) violations.push(`a function was denied a call its role should allow: ${line}`);
      const visible = workload.failures;
      // A function keeps to a deadline a second before its timeout (@platform/observability): whatever the outage,
      // a client sees the API's 503 with Retry-After, in time, never a 500 from a function cut off mid-request.
      const unshaped = visible.filter((f) => !isApiUnavailable(f));
      const hangs = visible.filter((f) => f.ms > INTEGRATION_TIMEOUT_MS + 5_000);
      // Locally a request over a function's concurrency cap waits for a free instance first (the gateway's line
      // for it says how long), where Lambda would scale out: that wait is not the function's.
      const queued = queuedByRequest(output);
      const functionMs = (/** @type {typeof visible[number]} */ f) => f.ms - (queued.get(f.requestId ?? '') ?? 0);
      const overFunctionTimeout = visible.filter((f) => functionMs(f) > FUNCTION_TIMEOUT_MS);
      for (const f of unshaped) violations.push(`${f.what}: a client-visible failure other than the API's 503 with Retry-After: ${f.status || f.error} after ${f.ms} ms: ${f.body}`);
      for (const f of overFunctionTimeout) violations.push(`${f.what}: answered ${f.status || f.error} ${Math.round(functionMs(f))} ms after its function started, later than the function timeout (${FUNCTION_TIMEOUT_MS} ms)`);
      for (const f of hangs) violations.push(`${f.what}: no answer for ${f.ms} ms`);
      /** @type {Record<string, number>} */
      const failureStatuses = {};
      for (const f of visible) {
        const key = `${f.what} ${f.status || f.error}`;
        failureStatuses[key] = (failureStatuses[key] ?? 0) + 1;
      }
      const examples = new Map();
      for (const f of visible) if (!examples.has(`${f.what} ${f.status}`)) examples.set(`${f.what} ${f.status}`, f);
      for (const [kind, f] of examples) log(`${name}: e.g. ${kind} after ${(f.ms / 1000).toFixed(1)} s: ${f.body || f.error}`);
      for (const f of overFunctionTimeout) log(`${name}: ${f.what} answered ${f.status || f.error} after ${(f.ms / 1000).toFixed(1)} s, ${((f.at - f.ms - outage.from) / 1000).toFixed(1)} s after the outage began: ${f.body}`);
      const slowest = Math.max(0, ...visible.map((f) => f.ms));
      table.push({
        scenario: name,
        result: violations.length === 0 ? 'pass' : `FAIL (${violations.length})`,
        orders: `${figures.accepted}/${figures.orders}`,
        confirmed: figures.confirmed,
        rejected: Object.entries(figures.rejectedBy).map(([r, n]) => `${n} ${r}`).join(', ') || '0',
        notified: figures.notified,
        lost: figures.lost,
        duplicates: figures.duplicates,
        'client failures': `${visible.length} ${JSON.stringify(failureStatuses)}`,
        'slowest failure': `${(slowest / 1000).toFixed(1)} s`,
        [`> ${FUNCTION_TIMEOUT_MS / 1000} s in function`]: overFunctionTimeout.length,
        'not 503+Retry-After': unshaped.length,
        'faults thrown': injected,
        'DLQ': JSON.stringify(figures.dlq),
        restocks: figures.restocks,
        'recovered in': `${((Date.now() - outage.to) / 1000).toFixed(0)} s (${wait.reason})`,
        duration: `${((Date.now() - started) / 1000).toFixed(0)} s`,
      });
      if (violations.length > 0) {
        failed = true;
        console.log(`\n${name}: ${violations.length} violation(s):\n${violations.slice(0, 40).map((v) => `  - ${v}`).join('\n')}\n`);
        const logLines = output.split('\n').filter((l) => /error|timed out|ERROR/i.test(l));
        console.log(`${name}: ${logLines.length} error log lines from the stack; the first 15:\n${logLines.slice(0, 15).join('\n')}\n`);
      }
    } finally {
      dynamodb.destroy();
      await stack.stop();
      await Promise.all(Object.values(proxies).map((proxy) => proxy.stop()));
    }
  }
  console.log('');
  for (const row of table) {
    console.log(`── ${row.scenario}: ${row.result}`);
    for (const [key, value] of Object.entries(row)) if (key !== 'scenario' && key !== 'result') console.log(`   ${key.padEnd(20)} ${value}`);
  }
  console.log(`seed ${seed}   replay: npm run faults -- --orders ${orders} --concurrency ${concurrency} --only ${only.join(',')} --seed ${seed} --outage-seconds ${outageSeconds}`);
  return failed ? 1 : 0;
};

process.exitCode = await main().catch((error) => {
  console.error(error);
  return 2;
});
