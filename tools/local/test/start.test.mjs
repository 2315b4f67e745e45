// `npm start` on a machine without Java: one line saying what to install, exit 1, nothing left running.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

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
