// `npm start` on a machine without Java: one line saying what to install, exit 1, nothing left running.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { reservePorts } from '@platform/local-runtime/aws';

const START = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../start.mjs');

describe('npm start without Java', () => {
  it('stops at once with a one-line error naming what to install', () => {
    const bin = mkdtempSync(path.join(os.tmpdir(), 'no-java-'));
    try {
      symlinkSync(process.execPath, path.join(bin, 'node'));
      const result = spawnSync(path.join(bin, 'node'), [START], { env: { ...process.env, PATH: bin }, encoding: 'utf8', timeout: 30_000 });
      assert.equal(result.status, 1);
      const errors = result.stderr.trim().split('\n');
      assert.equal(errors.length, 1, result.stderr);
      assert.match(errors[0], /Java 17 or newer is required.*openjdk-17-jre-headless/);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});

describe('npm start whose parent dies while it starts', () => {
  it('stops every emulator and service it started, instead of leaving them running', { timeout: 60_000 }, async () => {
    const { ports: [http, dynamodb, snsSqs], runBase } = await reservePorts(3, 8);
    const env = { ...process.env, HTTP_PORT: String(http), DYNAMODB_PORT: String(dynamodb), SNS_SQS_PORT: String(snsSqs), LAMBDA_PORT_BASE: String(runBase), AWS_ENDPOINT_URL_DYNAMODB: '' };
    // The parent reads the stack's output, then dies without a chance to stop it.
    const parent = [
      "const { spawn } = require('node:child_process');",
      `const child = spawn(process.execPath, [${JSON.stringify(START)}], { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });`,
      "child.stdout.on('data', () => {});",
      "setTimeout(() => process.kill(process.pid, 'SIGKILL'), 3000);",
    ].join('\n');
    spawnSync(process.execPath, ['-e', parent], { env, timeout: 30_000 });
    const running = () =>
      spawnSync('pgrep', ['-f', '--', `(-port ${dynamodb}|--lambdaPort (${[2, 4, 6].map((offset) => runBase + offset).join('|')})) `], { encoding: 'utf8' }).stdout.trim();
    const deadline = Date.now() + 30_000;
    while (running() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(running(), '', 'processes of the stack are still running');
  });
});
