// Runs the whole bench once in smoke mode and checks what it produces:
// structure and counts only. Timings are never asserted — on a shared
// machine they are noise, which is why the bench reports ratios.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
// A cap against a hung run only: on a busy 2-core machine the smoke has taken over 100 s.
const TIMEOUT_MS = 180_000;

/** @param {string} outDir */
const runSmoke = (outDir) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'system-tests/load/bench.mjs'), '--smoke', '--out', outDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    // SIGTERM lets the bench stop the stack it started.
    const timer = setTimeout(() => child.kill('SIGTERM'), TIMEOUT_MS);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });

describe('npm run bench -- --smoke', { timeout: TIMEOUT_MS + 20_000 }, () => {
  /** @type {string} */
  let outDir;
  /** @type {{ code: number | null, signal: string | null, stdout: string, stderr: string }} */
  let run;
  /** @type {any} */
  let report;

  before(async () => {
    outDir = mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));
    run = /** @type {any} */ (await runSmoke(outDir));
  });
  after(() => rmSync(outDir, { recursive: true, force: true }));

  const rowById = (/** @type {string} */ id) => report.rows.find((/** @type {any} */ row) => row.id === id);

  it('exits 0 and writes a JSON report that parses, and the Markdown table', () => {
    assert.equal(run.code, 0, `bench exited ${run.code ?? run.signal}\n${run.stderr.slice(-3000)}\n${run.stdout.slice(-3000)}`);
    report = JSON.parse(readFileSync(path.join(outDir, 'bench.json'), 'utf8'));
    const md = readFileSync(path.join(outDir, 'bench.md'), 'utf8');
    assert.match(md, /\| # \| What \| Load \| Value \| p50 \| p99 \| Errors \| Ceiling \(same run\) \| Ratio \|/);
    assert.ok(existsSync(path.join(outDir, 'stack.log')));
    assert.match(run.stdout, /Ceiling \(same run\)/, 'the table is printed');
    assert.match(run.stderr, /\[bench \d+:\d\d\]/, 'progress goes to stderr');
    assert.equal(report.config.mode, 'smoke');
  });

  it('has every row, each measured', () => {
    const ids = [
      'http-ceiling@1',
      'getitem-ceiling@1',
      'transaction-ceiling@1',
      'get-item@1',
      'post-orders@1',
      'cold-burst',
      'pipeline',
      'paced-pipeline',
      'pipeline-latency',
      'paced-pipeline-latency',
      'paced-pipeline-cpu',
      'notifications',
      'lost',
      'paced-lost',
      's3-put-ceiling@2',
      'images',
      'images-latency',
      'npm-start',
    ];
    for (const id of ids) assert.ok(rowById(id), `row ${id} is missing`);
    assert.ok(report.rows.some((/** @type {any} */ row) => row.id.startsWith('cold-load:')), 'cold-load rows are missing');
    for (const id of ['http-ceiling@1', 'getitem-ceiling@1', 'transaction-ceiling@1', 'get-item@1', 'post-orders@1']) {
      assert.equal(typeof rowById(id).data.rps, 'number', `${id} has no rate`);
    }
    assert.equal(typeof rowById('npm-start').data.stackReadyMs, 'number');
    assert.deepEqual(report.failures, [], 'no phase failed');
  });

  it('has a verdict for every target', () => {
    assert.deepEqual(report.targets.map((/** @type {any} */ t) => t.id), ['cold-burst', 'get-item', 'pipeline', 'npm-start']);
    for (const target of report.targets) assert.match(target.verdict, /^(PASS|MISS)$/);
  });

  it('gets a 2xx JSON answer to every request of the cold burst, in time', () => {
    const burst = rowById('cold-burst').data.stack;
    assert.equal(burst.count, 100);
    assert.equal(burst.non2xx, 0, JSON.stringify(burst.statuses));
    assert.equal(burst.nonJson, 0, burst.badSample);
    assert.equal(burst.timeouts, 0);
  });

  it('says where the CPU goes at each loaded phase, by process', () => {
    const phases = report.cpu.phases;
    assert.deepEqual(phases.map((/** @type {any} */ p) => p.id), ['idle', 'get-item@1', 'pipeline', 'paced-pipeline', 'images', 'post-orders@1']);
    for (const phase of phases) {
      if (phase.unit !== 's') assert.ok(phase.completed > 0, `${phase.id}: nothing completed`);
      const labels = phase.cpuMsPerUnit.map((/** @type {any} */ c) => c.label);
      for (const label of ['DynamoDB Local', 'local stack process (gateway, SNS/SQS, pollers)', 'serverless-offline items-api', 'serverless-offline order-processor', 'bench client (load generator)']) {
        assert.ok(labels.includes(label), `${phase.id}: no ${label} in ${labels.join(', ')}`);
      }
      for (const c of phase.cpuMsPerUnit) assert.ok(c.processes > 0, `${phase.id}: ${c.label} counts no process`);
    }
    assert.equal(phases.find((/** @type {any} */ p) => p.id === 'pipeline').completed, 20);
    assert.equal(report.cpu.lines.length, phases.length);
    assert.match(run.stdout, /\nWhere the CPU goes\n/);
    assert.match(run.stdout, /^ {2}GET \/items\/\{id\} @1 \(\d+ requests in .+ ms CPU\/request — .*DynamoDB Local/m);
    assert.match(readFileSync(path.join(outDir, 'bench.md'), 'utf8'), /## Where the CPU goes/);
  });

  it('loses no order in the pipeline and notifies every decision', () => {
    const pipeline = report.details.pipeline;
    assert.equal(pipeline.accepted, 20);
    assert.equal(rowById('lost').data.lost, 0, JSON.stringify(pipeline.lostStatus));
    assert.equal(pipeline.decided, 20);
    assert.equal(pipeline.notificationsSent, pipeline.decided);
  });

  it('paces a second pipeline, open loop, and loses none of it', () => {
    const paced = report.details.paced;
    assert.ok(paced, 'no paced pipeline in the details');
    assert.equal(paced.paceFrom.source, 'cpu-bound', 'the pace comes from the saturated pipeline\'s CPU-bound ceiling');
    assert.ok(paced.orders > 0 && paced.submitted === paced.orders, `${paced.submitted} of ${paced.orders} orders sent`);
    assert.equal(paced.accepted, paced.submitted, paced.submitErrorSample);
    assert.ok(rowById('paced-pipeline').data.decided > 0, 'no paced order decided');
    assert.equal(rowById('paced-lost').data.lost, 0, JSON.stringify(paced.lostStatus));
    assert.equal(paced.decided, paced.accepted);
    // Stock to spare: every paced order is confirmed.
    assert.equal(paced.confirmed, paced.decided, JSON.stringify(paced.rejectReasons));
    assert.equal(report.cpu.phases.find((/** @type {any} */ p) => p.id === 'paced-pipeline').completed, paced.decided);
    assert.match(run.stdout, /Pipeline, paced at 50% of the CPU-bound rate: decision latency/);
  });

  it('sees every image upload on its item, beside raw PutObject to the same local S3', () => {
    const images = report.details.images;
    assert.ok(images, `no image uploads in the details: ${JSON.stringify(report.failures)}`);
    assert.equal(images.uploads, 5);
    assert.equal(images.visible, 5, images.errorSample);
    assert.equal(images.errors, 0);
    assert.equal(images.ceiling.puts, 40, images.ceiling.errorSample);
    assert.equal(images.ceiling.errors, 0);
    for (const key of ['uploadsPerSecond', 'visibleP50', 'visibleP95', 'visibleMax']) assert.equal(typeof rowById('images').data[key], 'number', key);
    assert.equal(typeof rowById('images').data.ratioToPutCeiling, 'number');
    assert.equal(typeof rowById('s3-put-ceiling@2').data.rps, 'number');
    assert.match(run.stdout, /Item images: upload-to-visible latency/);
  });

  it('prices an order and an item read from what the stack counted, and sizes each function', () => {
    const cost = report.details.cost;
    assert.ok(cost?.input, `no cost model: ${JSON.stringify(report.failures)}`);
    const [orders, reads] = cost.input.workloads;
    assert.equal(orders.unit, 'order');
    assert.equal(reads.unit, 'item read');
    // Counted where it happened: every order ran the saga's functions, wrote with transactions, published and was polled.
    const invoked = orders.functions.map((/** @type {any} */ f) => f.name);
    for (const fn of ['placeOrder', 'reserveStock', 'settleOrders', 'notifyCustomers']) assert.ok(invoked.some((/** @type {string} */ name) => name.endsWith(`-${fn}`)), `${fn} not in ${invoked.join(', ')}`);
    assert.ok(orders.functions.every((/** @type {any} */ f) => f.billedMs >= 1 && Number.isInteger(f.memoryMb)), JSON.stringify(orders.functions));
    assert.ok(orders.dynamodb.some((/** @type {any} */ d) => d.mode === 'transactional' && d.writeUnits > 0), JSON.stringify(orders.dynamodb));
    assert.ok(orders.snsPublishes.length > 0 && orders.sqs.length > 0 && orders.http.length > 0);
    assert.ok(reads.http.some((/** @type {any} */ h) => h.route === 'GET /items/{id}' && Math.abs(h.requests - 1) < 1e-9), JSON.stringify(reads.http));
    assert.ok(cost.priced.workloads.every((/** @type {any} */ w) => w.total > 0));
    assert.ok(cost.priced.idle.total > 0);
    // Memory: CPU and wait measured per warm invocation, a size recommended for each.
    assert.ok(cost.priced.memory.length >= 4);
    for (const m of cost.priced.memory) assert.ok(m.cpuMs > 0 && m.waitMs >= 0 && [128, 256, 512, 1024, 1769].includes(m.recommended.memoryMb), JSON.stringify(m));
    assert.match(run.stdout, /Cost per 1,000 orders: \$/);
    assert.match(run.stdout, /Memory per function/);
    assert.match(readFileSync(path.join(outDir, 'bench.md'), 'utf8'), /### Cost per 1 million item reads: \$/);
  });
});
