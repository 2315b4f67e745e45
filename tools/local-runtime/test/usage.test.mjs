// The stack's usage meter, for the cost model: what the IAM proxies count of
// each call (the capacity DynamoDB reports, taken out again for a caller that
// did not ask), the line each worker thread's invocation is read from, the
// counters' difference between two snapshots, and the worker meter itself.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import { billedRequests, meterCall } from '../iam/usage-meter.mjs';
import { claimMeterLine } from '../lambda/offline.mjs';
import { createUsage, dynamodbKind, peakHeapMb, usageDelta } from '../stack/usage.mjs';
import workerMeter from '../lambda/worker-meter.cjs';

const json = (/** @type {unknown} */ value) => Buffer.from(JSON.stringify(value));

describe('the usage meter', () => {
  it('asks DynamoDB for the capacity, counts it by table, transaction and function, and answers the caller as it asked', () => {
    const usage = createUsage();
    const body = json({ TransactItems: [{ Put: { TableName: 't1' } }, { Update: { TableName: 't2' } }] });
    const metered = meterCall({ emulator: 'dynamodb', service: 'dynamodb', functionName: 'f', operation: 'TransactWriteItems', resources: [], body, usage });
    assert.equal(JSON.parse(metered.body.toString()).ReturnConsumedCapacity, 'TOTAL');
    const headers = /** @type {Record<string, string>} */ ({ 'x-amz-crc32': '1' });
    const answer = metered.answer?.(200, headers, json({ ConsumedCapacity: [{ TableName: 't1', CapacityUnits: 2 }, { TableName: 't2', CapacityUnits: 4 }] }));
    assert.deepEqual(JSON.parse(String(answer)), {});
    assert.equal(headers['x-amz-crc32'], String(crc32(/** @type {Buffer} */ (answer))));
    const { dynamodb } = usage.snapshot();
    assert.deepEqual(dynamodb, {
      t1: { transactional: { f: { TransactWriteItems: { requests: 1, writeUnits: 2 } } } },
      t2: { transactional: { f: { TransactWriteItems: { requests: 0, writeUnits: 4 } } } },
    });
  });

  it('leaves the capacity in the answer of a caller that asked for it', () => {
    const usage = createUsage();
    const metered = meterCall({ emulator: 'dynamodb', service: 'dynamodb', functionName: 'f', operation: 'GetItem', resources: [], body: json({ TableName: 't', ReturnConsumedCapacity: 'TOTAL' }), usage });
    const answerBody = json({ Item: {}, ConsumedCapacity: { TableName: 't', CapacityUnits: 0.5 } });
    assert.equal(metered.answer?.(200, {}, answerBody), answerBody);
    assert.deepEqual(usage.snapshot().dynamodb, { t: { standard: { f: { GetItem: { requests: 1, readUnits: 0.5 } } } } });
  });

  it('counts a write whose condition failed at its minimum, marked modelled (AWS charges it; the error carries no units)', () => {
    const usage = createUsage();
    const body = json({ TransactItems: [{ Update: { TableName: 't' } }, { Put: { TableName: 't' } }] });
    const metered = meterCall({ emulator: 'dynamodb', service: 'dynamodb', functionName: 'f', operation: 'TransactWriteItems', resources: [], body, usage });
    metered.answer?.(400, {}, json({ __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException' }));
    assert.deepEqual(usage.snapshot().dynamodb, { t: { transactional: { f: { TransactWriteItems: { requests: 1, writeUnits: 4, writeUnitsModelled: 4, failed: 1 } } } } });
  });

  it('counts SNS and SQS requests per 64 KB, with the entries a batch carries', () => {
    const usage = createUsage();
    meterCall({ emulator: 'sns-sqs', service: 'sns', functionName: 'f', operation: 'Publish', resources: ['arn:aws:sns:us-east-1:0:bus'], body: Buffer.alloc(70 * 1024), usage });
    meterCall({ emulator: 'sns-sqs', service: 'sns', functionName: 'f', operation: 'PublishBatch', resources: ['arn:aws:sns:us-east-1:0:bus'], body: Buffer.from('Action=PublishBatch&PublishBatchRequestEntries.member.1.Id=a&PublishBatchRequestEntries.member.2.Id=b'), usage });
    assert.deepEqual(usage.snapshot().sns, { bus: { f: { Publish: { calls: 1, requests: 2, messages: 1, bytes: 70 * 1024 }, PublishBatch: { calls: 1, requests: 1, messages: 2, bytes: 101 } } } });
    assert.equal(billedRequests(0), 1);
    assert.equal(billedRequests(64 * 1024), 1);
    assert.equal(billedRequests(64 * 1024 + 1), 2);
  });

  it('tells reads from writes, and transactions', () => {
    assert.deepEqual(dynamodbKind('Query'), { kind: 'read', transactional: false });
    assert.deepEqual(dynamodbKind('TransactGetItems'), { kind: 'read', transactional: true });
    assert.deepEqual(dynamodbKind('ExecuteStatement', ' select * from t'), { kind: 'read', transactional: false });
    assert.deepEqual(dynamodbKind('ExecuteStatement', 'UPDATE t SET a = 1'), { kind: 'write', transactional: false });
    assert.deepEqual(dynamodbKind('DescribeTable'), { kind: undefined, transactional: false });
  });

  it("reads a worker's invocation line into warm and cold runs, and subtracts snapshots", () => {
    const usage = createUsage();
    const line = (/** @type {Record<string, unknown>} */ figures) => `${workerMeter.METER_LINE_PREFIX}${JSON.stringify({ functionName: 'f', logBytes: 100, logLines: 2, emfLines: 1, emfMetrics: 3, ...figures })}`;
    assert.equal(claimMeterLine(line({ cold: true, durationMs: 300.2, cpuMs: 200 }), usage), true);
    const before = usage.snapshot();
    assert.equal(claimMeterLine(line({ cold: false, durationMs: 10.5, cpuMs: 4 }), usage), true);
    assert.equal(claimMeterLine(line({ cold: false, durationMs: 20, cpuMs: 25 }), usage), true);
    assert.equal(claimMeterLine('{"level":"INFO","message":"hello"}', usage), false);
    usage.invocation({ functionName: 'f', durationMs: 12, ok: true });
    const delta = usageDelta(usage.snapshot(), before);
    assert.deepEqual(delta.functions, {
      f: { warm: { invocations: 2, durationMs: 30.5, billedMs: 31, cpuMs: 29, waitMs: 6.5 }, logBytes: 200, logLines: 4, emfLines: 2, emfMetrics: 6, invocations: 1, invokerMs: 12 },
    });
    // The heap: its peak over a stretch, to the 8 MB bucket.
    const heap = createUsage();
    const run = { functionName: 'f', cold: false, durationMs: 1, cpuMs: 1, logBytes: 0, logLines: 0, emfLines: 0, emfMetrics: 0 };
    heap.runtime({ ...run, heapMb: 60 });
    const then = heap.snapshot();
    heap.runtime({ ...run, heapMb: 30.5 });
    heap.runtime({ ...run, heapMb: 20 });
    const stretch = /** @type {any} */ (usageDelta(heap.snapshot(), then)).functions.f.warm;
    assert.deepEqual(stretch.heapMbAtMost, { 32: 1, 24: 1 });
    assert.equal(peakHeapMb(stretch.heapMbAtMost), 32);
    assert.equal(peakHeapMb(undefined), undefined);
  });
});

describe('the worker meter', () => {
  it("times each invocation in serverless-offline's worker thread: CPU, duration and output", async () => {
    // A stand-in for serverless-offline's helper: answers each message on its port after some CPU work and a log line.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'worker-meter-'));
    const helper = path.join(dir, 'workerThreadHelper.js');
    writeFileSync(
      helper,
      `import { parentPort } from 'node:worker_threads';
parentPort.on('message', async ({ port, event }) => {
  let x = 0; for (let i = 0; i < event.spins; i += 1) x = (x + Math.sqrt(i)) % 1e9;
  console.log(JSON.stringify({ _aws: { CloudWatchMetrics: [{ Metrics: [{ Name: 'a' }, { Name: 'b' }] }] }, a: 1, b: 2 }));
  await new Promise((resolve) => setTimeout(resolve, event.waitMs));
  port.postMessage({ ok: x >= 0 });
});\n`,
    );
    /** @type {string[]} */
    const lines = [];
    try {
      workerMeter.installWorkerMeter((line) => lines.push(line));
      const { MessageChannel, Worker } = await import('node:worker_threads');
      const worker = new Worker(helper, { env: { AWS_LAMBDA_FUNCTION_NAME: 'svc-f' }, workerData: {}, stdout: true });
      worker.stdout.resume();
      for (const event of [{ spins: 1e6, waitMs: 5 }, { spins: 2e6, waitMs: 40 }]) {
        const { port1, port2 } = new MessageChannel();
        const answered = new Promise((resolve) => port1.once('message', resolve));
        worker.postMessage({ event, port: port2 }, [port2]);
        assert.deepEqual(await answered, { ok: true });
        port1.close();
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
      await worker.terminate();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const runs = lines.map((line) => JSON.parse(line.slice(workerMeter.METER_LINE_PREFIX.length)));
    assert.equal(runs.length, 2);
    const [first, second] = runs;
    assert.equal(first.functionName, 'svc-f');
    assert.equal(first.cold, true);
    assert.equal(second.cold, false);
    // The thread's CPU time, not the wall clock's: some of it, never more than the invocation took.
    assert.ok(second.cpuMs > 0 && second.cpuMs <= second.durationMs + 1, JSON.stringify(second));
    // The timer's wait is not CPU.
    assert.ok(second.durationMs - second.cpuMs >= 35, JSON.stringify(second));
    assert.equal(second.emfLines, 1);
    assert.equal(second.emfMetrics, 2);
    assert.equal(second.logLines, 1);
    assert.ok(second.logBytes > 50);
  });
});
