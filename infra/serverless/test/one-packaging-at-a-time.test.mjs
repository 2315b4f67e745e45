// plugins/one-packaging-at-a-time.js: two packagings of one service take turns
// (osls empties .serverless at the start of each), and a lock left by a
// process that is gone does not stop the next one.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

const require = createRequire(import.meta.url);
const { acquire, LOCK } = require('../plugins/one-packaging-at-a-time.js');

describe('one packaging of a service at a time', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'packaging-lock-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('makes a second packaging wait until the first releases the service', async () => {
    const releaseFirst = await acquire(dir, { pid: 101, isAlive: () => true });
    /** @type {number[]} */
    const waitedFor = [];
    let secondHas = false;
    const second = acquire(dir, { pid: 102, isAlive: () => true, onWait: (holder) => waitedFor.push(holder) }).then((release) => {
      secondHas = true;
      return release;
    });
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal(secondHas, false, 'the second took the lock while the first held it');
    assert.deepEqual(waitedFor, [101]);
    releaseFirst();
    const releaseSecond = await second;
    assert.equal(secondHas, true);
    releaseSecond();
    assert.equal(existsSync(path.join(dir, LOCK)), false);
  });

  it('takes over a lock whose process is gone', async () => {
    mkdirSync(path.join(dir, LOCK));
    writeFileSync(path.join(dir, LOCK, 'pid'), '999999');
    const release = await acquire(dir, { pid: 103, isAlive: (pid) => pid !== 999999 });
    release();
  });

  it('is listed first for every service and for the platform stack', async () => {
    const base = require('../base.cjs');
    const config = await base({ resolveVariable: async (/** @type {string} */ name) => (name === 'sls:stage' ? 'dev' : name.startsWith('self:') ? {} : null) });
    assert.equal(config.plugins[0], '@platform/serverless-base/plugins/one-packaging-at-a-time');
    assert.equal(config.platformPlugins[0], '@platform/serverless-base/plugins/one-packaging-at-a-time');
  });
});
