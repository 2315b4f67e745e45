// The bounded fault runs: `npm run faults` itself, on stacks of its own, with
// DynamoDB frozen (SIGSTOP) for 8 s mid-flow and with consumers throwing on
// every 7th record. It exits 0 only when every order that got a 202 was
// decided and notified exactly once, stock adds up, the DLQs are empty, every
// failure a client saw was the API's 503 with Retry-After answered within the
// function timeout, faults were really thrown and no function was denied by
// the local IAM layer. `npm run faults` runs the other outages too (DynamoDB
// or SNS/SQS unreachable, DynamoDB answering slower than the timeout).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** @param {string[]} args @returns {Promise<{ code: number | null, output: string }>} */
const faults = (args) =>
  new Promise((resolve) => {
    // A failed record comes back after 2 s instead of its queue's 36 s visibility timeout.
    const child = spawn(process.execPath, [path.join(ROOT, 'system-tests/soak/faults.mjs'), ...args], { cwd: ROOT, env: { ...process.env, LOCAL_SQS_RETRY_SECONDS: '2' } });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (code) => resolve({ code, output }));
  });

describe('bounded fault runs (npm run faults)', { timeout: 300_000 }, () => {
  it('DynamoDB frozen for 8 s, and consumers throwing on every 7th record: nothing lost, nothing twice, only 503s in time', async () => {
    const { code, output } = await faults(['--orders', '40', '--only', 'dynamodb-stall,consumer-throws', '--seed', '20261127', '--outage-seconds', '8']);
    const summary = output.slice(output.indexOf('── dynamodb-stall'));
    const violations = output.split('\n').filter((line) => /violation\(s\)|^ {2}- /.test(line));
    assert.equal(code, 0, `${violations.join('\n')}\n${summary.length > 20 ? summary : output.slice(-6000)}`);
    assert.match(summary, /── dynamodb-stall: pass[\s\S]*lost {17}0\n {3}duplicates {11}0/);
    assert.match(summary, /── consumer-throws: pass[\s\S]*faults thrown {8}[1-9]/);
  });
});
