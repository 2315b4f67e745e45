// The cost model's arithmetic on a fixed set of counts, with a made-up price
// table of round numbers: what is checked is the arithmetic, never a price
// (the real table only has to be well formed).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ASSUMPTIONS, idleStage, priceWorkload } from '../lib/model.mjs';
import { billed, durationAt, memoryModel } from '../lib/memory.mjs';
import { loadPrices } from '../lib/prices.mjs';
import { costReport } from '../lib/report.mjs';
import { functionConfigs, stageFacts } from '../lib/templates.mjs';

/** @param {number} usd @param {number} [per] */
const p = (usd, per = 1) => ({ usd, per, unit: 'unit', source: 'https://example.com/' });
/** @type {import('../lib/model.mjs').PriceTable} */
const PRICES = {
  region: 'test-1',
  currency: 'USD',
  asOf: '2000-01-01',
  prices: {
    'lambda.request': p(1, 1_000_000),
    'lambda.duration.arm64': p(0.00001),
    'lambda.duration.x86_64': p(0.00002),
    'apigateway.http.request': p(2, 1_000_000),
    'dynamodb.ondemand.write': p(1, 1_000_000),
    'dynamodb.ondemand.read': p(0.25, 1_000_000),
    'sns.publish': p(0.5, 1_000_000),
    'sns.delivery.sqs': p(0, 1_000_000),
    'sqs.request': p(0.4, 1_000_000),
    'logs.ingestion': p(0.5),
    'logs.storage': p(0.03),
    'xray.trace.recorded': p(5, 1_000_000),
    'cloudwatch.alarm.standard': p(0.1),
    'cloudwatch.alarm.composite': p(0.5),
    'cloudwatch.dashboard': p(3),
    'kms.key': p(1),
    'secretsmanager.secret': p(0.4),
  },
};

const GB = 1024 ** 3;

/** @type {import('../lib/model.mjs').Workload} */
const WORKLOAD = {
  unit: 'job',
  per: 1000,
  functions: [
    { name: 'api', invocations: 1, billedMs: 100, memoryMb: 1024, architecture: 'arm64', logBytes: 1000, traced: true },
    { name: 'worker', invocations: 0.5, billedMs: 20, memoryMb: 512, architecture: 'x86_64', logBytes: 0 },
  ],
  dynamodb: [
    { table: 'things', mode: 'transactional', readUnits: 0, writeUnits: 4, functionName: 'worker' },
    { table: 'things', mode: 'standard', readUnits: 2, writeUnits: 1, functionName: 'api' },
  ],
  snsPublishes: [{ topic: 'bus', requests: 2, functionName: 'worker' }],
  snsDeliveries: [{ queue: 'q', deliveries: 2 }],
  sqs: [{ queue: 'q', requests: 3, caller: 'worker (event source mapping)', functionName: 'worker' }],
  http: [{ route: 'POST /jobs', requests: 1, functionName: 'api' }],
};

test('a workload: each line is its count × per × price, and the total their sum', () => {
  const priced = priceWorkload(WORKLOAD, PRICES, { logRetentionDays: 15 });
  const line = (/** @type {string} */ service, /** @type {string} */ item, /** @type {string} */ fn) => {
    const found = priced.lines.find((l) => l.service === service && l.item.startsWith(item) && (l.functionName ?? '') === fn);
    assert.ok(found, `${service} ${item} ${fn}`);
    return found;
  };
  // Lambda: 1000 invocations × $1/M; 1000 × 0.1 s × 1 GB = 100 GB-s × $0.00001.
  assert.equal(line('Lambda', 'requests', 'api').usd, 0.001);
  assert.equal(line('Lambda', 'duration', 'api').quantity, 100);
  assert.ok(Math.abs(line('Lambda', 'duration', 'api').usd - 0.001) < 1e-12);
  // worker: 500 invocations × 0.02 s × 0.5 GB = 5 GB-s at the x86 price.
  assert.ok(Math.abs(line('Lambda', 'duration', 'worker').usd - 5 * 0.00002) < 1e-12);
  assert.match(line('Lambda', 'duration', 'worker').shrink ?? '', /arm64/);
  // Logs: its bytes plus the platform's per invocation.
  const apiLogBytes = 1000 * 1000 + 1000 * ASSUMPTIONS.platformLogBytesPerInvocation;
  assert.ok(Math.abs(line('CloudWatch Logs', 'ingestion', 'api').usd - (apiLogBytes / GB) * 0.5) < 1e-15);
  const stored = (apiLogBytes * ASSUMPTIONS.logCompression * 15) / ASSUMPTIONS.daysPerMonth / GB;
  assert.ok(Math.abs(line('CloudWatch Logs', 'storage', 'api').quantity - stored) < 1e-15);
  // X-Ray only for the traced function: 1000 × the sampled share.
  assert.equal(line('X-Ray', 'traces', 'api').quantity, 1000 * ASSUMPTIONS.xraySampledShare);
  assert.ok(!priced.lines.some((l) => l.service === 'X-Ray' && l.functionName === 'worker'));
  // DynamoDB: units × per × price, transactions as counted (their units are already doubled).
  assert.equal(line('DynamoDB', 'write units things (transactional', 'worker').usd, 0.004);
  assert.equal(line('DynamoDB', 'write units things', 'api').usd, 0.001);
  assert.equal(line('DynamoDB', 'read units things', 'api').usd, 0.0005);
  assert.equal(line('SNS', 'publishes bus', 'worker').usd, 0.001);
  assert.equal(line('SNS', 'deliveries to SQS', '').usd, 0);
  assert.ok(Math.abs(line('SQS', 'requests q', 'worker').usd - 0.0012) < 1e-15);
  assert.equal(line('API Gateway', 'requests POST /jobs', 'api').usd, 0.002);
  // No line for a zero count (the worker's reads).
  assert.ok(!priced.lines.some((l) => l.item.startsWith('read units') && l.functionName === 'worker'));

  const total = priced.lines.reduce((s, l) => s + l.usd, 0);
  assert.ok(Math.abs(priced.total - total) < 1e-15);
  // Biggest first; the groupings add up to the total.
  for (let i = 1; i < priced.lines.length; i += 1) assert.ok(/** @type {any} */ (priced.lines[i - 1]).usd >= /** @type {any} */ (priced.lines[i]).usd);
  assert.equal(priced.lines[0]?.item.startsWith('write units things (transactional'), true);
  assert.ok(Math.abs(priced.byService.reduce((s, x) => s + x.usd, 0) - total) < 1e-15);
  assert.ok(Math.abs(priced.byFunction.reduce((s, x) => s + x.usd, 0) - total) < 1e-15);
  assert.equal(priced.byService[0]?.key, 'DynamoDB');
});

test('the idle stage: each thing kept a month, and the idle pollers of each SQS mapping', () => {
  const idle = idleStage({ alarms: 10, alarmMetrics: 12, compositeAlarms: 2, dashboards: 1, kmsKeys: 1, secrets: 1, sqsEventSourceMappings: 3 }, PRICES);
  const polls = 3 * ASSUMPTIONS.idlePollersPerMapping * (ASSUMPTIONS.secondsPerMonth / ASSUMPTIONS.idlePollWaitSeconds);
  assert.equal(idle.idleSqsRequests, polls);
  const expected = 12 * 0.1 + 2 * 0.5 + 3 + 1 + 0.4 + (polls * 0.4) / 1e6;
  assert.ok(Math.abs(idle.total - expected) < 1e-9);
  assert.equal(idle.lines[0]?.item, 'dashboards');
  assert.equal(idleStage({ alarms: 0, alarmMetrics: 0, compositeAlarms: 0, dashboards: 1, kmsKeys: 0, secrets: 0, sqsEventSourceMappings: 0 }, PRICES, { freeDashboards: 1 }).total, 0);
  // A function on a timer: its runs a month, priced with its measured duration and log bytes.
  const timer = idleStage(
    { alarms: 0, alarmMetrics: 0, compositeAlarms: 0, dashboards: 0, kmsKeys: 0, secrets: 0, sqsEventSourceMappings: 0, schedules: [{ functionName: 'sweep', expression: 'rate(5 minutes)', everySeconds: 300 }] },
    PRICES,
    { functions: [{ name: 'sweep', billedMs: 100, memoryMb: 1024, architecture: 'arm64', logBytes: 700 }] },
  );
  const runs = ASSUMPTIONS.secondsPerMonth / 300;
  const expectedTimer = runs / 1e6 + runs * 0.1 * 0.00001 + ((runs * (700 + ASSUMPTIONS.platformLogBytesPerInvocation)) / GB) * 0.5;
  assert.ok(Math.abs(timer.total - expectedTimer) < 1e-12);
});

test('memory: CPU time scales with the vCPU share up to 1,769 MB, waiting does not', () => {
  const fn = { cpuMs: 10, waitMs: 30 };
  assert.equal(durationAt(fn, 1769), 40);
  assert.equal(durationAt(fn, 3538), 40);
  assert.ok(Math.abs(durationAt(fn, 128) - (10 * 1769) / 128 - 30) < 1e-9);
  assert.equal(billed(40.01), 41);
  assert.equal(billed(0.2), 1);

  const model = memoryModel({ name: 'f', cpuMs: 10, waitMs: 30, memoryMb: 256, architecture: 'arm64', synchronous: false, timeoutMs: 6000 }, PRICES);
  const at256 = model.rows.find((r) => r.memoryMb === 256);
  assert.equal(at256?.billedMs, Math.ceil((10 * 1769) / 256 + 30));
  // $1 per M requests + 1M × billed s × 0.25 GB × $0.00001.
  assert.ok(Math.abs((at256?.usdPerMillion ?? 0) - (1 + (1e6 * (at256?.billedMs ?? 0) * 256) / 1000 / 1024 * 0.00001)) < 1e-9);
  // Asynchronous: the cheapest size (here the smallest: mostly waiting).
  assert.equal(model.recommended.memoryMb, 128);
  assert.equal(model.change, 'lower');

  // Synchronous: bigger while a step (double the memory) cuts at least 10% and 5 ms. CPU-bound, up to 1,769 MB…
  const cpuBound = memoryModel({ name: 'g', cpuMs: 50, waitMs: 5, memoryMb: 256, architecture: 'arm64', synchronous: true }, PRICES);
  assert.equal(cpuBound.recommended.memoryMb, 1769);
  // …mostly waiting, not far: 128 MB 157.6 ms, 256 MB 143.8 ms (−8.8%: not worth it).
  const mostlyWaiting = memoryModel({ name: 'w', cpuMs: 2, waitMs: 130, memoryMb: 256, architecture: 'arm64', synchronous: true }, PRICES);
  assert.equal(mostlyWaiting.recommended.memoryMb, 128);
  // …in between: 128 MB 238.2, 256 MB 169.1 (−29%), 512 MB 134.6 (−20%), 1024 MB 117.3 (−13%), 1769 MB 110 (−6%): 1024.
  const between = memoryModel({ name: 'b', cpuMs: 10, waitMs: 100, memoryMb: 256, architecture: 'arm64', synchronous: true }, PRICES);
  assert.equal(between.recommended.memoryMb, 1024);
  assert.equal(between.change, 'raise');

  // The measured heap and the runtime, with headroom, rule out the sizes that cannot hold them.
  const heavy = memoryModel({ name: 'k', cpuMs: 1, waitMs: 30, memoryMb: 256, architecture: 'arm64', synchronous: false, heapMb: 60 }, PRICES);
  assert.equal(heavy.floorMb, (60 + 64) * 1.25);
  assert.equal(heavy.recommended.memoryMb, 256);

  // Asynchronous but slow at small sizes: the timeout rules those out.
  const slow = memoryModel({ name: 'h', cpuMs: 400, waitMs: 0, memoryMb: 256, architecture: 'arm64', synchronous: false, timeoutMs: 4000 }, PRICES);
  assert.ok(slow.recommended.durationMs <= 2000);
});

test('templates: function configs with Lambda defaults, and what a stage keeps', () => {
  const template = {
    Resources: {
      A: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'svc-a', MemorySize: 256, Architectures: ['arm64'], Timeout: 6, TracingConfig: { Mode: 'Active' } } },
      B: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'svc-b' } },
      Q: { Type: 'AWS::SQS::Queue', Properties: {} },
      M: { Type: 'AWS::Lambda::EventSourceMapping', Properties: { FunctionName: { 'Fn::GetAtt': ['B', 'Arn'] }, EventSourceArn: { 'Fn::GetAtt': ['Q', 'Arn'] } } },
      P: { Type: 'AWS::Lambda::Permission', Properties: { FunctionName: { 'Fn::GetAtt': ['A', 'Arn'] }, Principal: 'apigateway.amazonaws.com' } },
      Al: { Type: 'AWS::CloudWatch::Alarm', Properties: {} },
      Am: { Type: 'AWS::CloudWatch::Alarm', Properties: { Metrics: [{ MetricStat: {} }, { MetricStat: {} }, { Expression: 'a+b' }] } },
      C: { Type: 'AWS::CloudWatch::CompositeAlarm', Properties: {} },
      L: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 14 } },
      R: { Type: 'AWS::Events::Rule', Properties: { ScheduleExpression: 'rate(5 minutes)', Targets: [{ Arn: { 'Fn::GetAtt': ['B', 'Arn'] } }] } },
    },
  };
  const fns = functionConfigs([template]);
  assert.deepEqual(fns.get('svc-a'), { name: 'svc-a', memoryMb: 256, architecture: 'arm64', timeoutMs: 6000, traced: true, http: true, sqs: false, scheduled: false });
  assert.deepEqual(fns.get('svc-b'), { name: 'svc-b', memoryMb: 128, architecture: 'x86_64', timeoutMs: 3000, traced: false, http: false, sqs: true, scheduled: true });
  assert.deepEqual(stageFacts([template, { Resources: { K: { Type: 'AWS::KMS::Key' }, D: { Type: 'AWS::CloudWatch::Dashboard' } } }]), {
    alarms: 2,
    alarmMetrics: 3,
    compositeAlarms: 1,
    dashboards: 1,
    kmsKeys: 1,
    secrets: 0,
    sqsEventSourceMappings: 1,
    logRetentionDays: 14,
    schedules: [{ functionName: 'svc-b', expression: 'rate(5 minutes)', everySeconds: 300 }],
  });
});

test('the report lays out every workload, the idle stage and the memory model', () => {
  const { lines, priced } = costReport(
    {
      measuredIn: 'a test',
      workloads: [WORKLOAD],
      functions: [{ name: 'api', cpuMs: 5, waitMs: 20, memoryMb: 1024, architecture: 'arm64', synchronous: true, invocations: 10 }],
      stage: { alarms: 1, alarmMetrics: 1, compositeAlarms: 0, dashboards: 0, kmsKeys: 0, secrets: 0, sqsEventSourceMappings: 1 },
    },
    PRICES,
    { markdown: true },
  );
  const text = lines.join('\n');
  assert.match(text, /### Cost per 1,000 jobs: \$/);
  assert.match(text, /### One idle stage, per month: \$/);
  assert.match(text, /\| api \| 10 \| 5\.0 \| 20\.0 \| — \|/);
  assert.equal(priced.workloads.length, 1);
});

test('the real price table is well formed: every price the model uses, each with its https source', () => {
  const table = loadPrices();
  assert.match(table.asOf, /^\d{4}-\d{2}-\d{2}$/);
  for (const key of Object.keys(PRICES.prices)) assert.ok(table.prices[key], `the table has ${key}`);
});
