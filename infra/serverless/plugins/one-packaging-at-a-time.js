// One `serverless package` (or deploy) of a service at a time. osls removes the
// service's .serverless folder at the start of every packaging
// (aws:common:cleanupTempDir), whatever --package names, and serverless-esbuild
// copies its zips through it: two packagings of one service at once (the local
// stack compiling its template while `nx run <service>:package`, a deploy or the
// template policy test runs) delete each other's artifacts mid-run. Each takes
// the service's lock (a folder, made atomically) before that cleanup and holds
// it until its process ends; a lock whose process is gone is taken over.
// Listed in base.cjs for every service, the platform stack included.
'use strict';

const { mkdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const path = require('node:path');

const LOCK = '.serverless-package.lock';
const POLL_MS = 250;
const GIVE_UP_MS = 15 * 60_000;

/** @param {number} pid */
const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return /** @type {NodeJS.ErrnoException} */ (error).code === 'EPERM';
  }
};

/**
 * Takes the lock in `dir`, waiting while a live process holds it. Returns its release.
 * @param {string} dir @param {{ pid?: number, isAlive?: (pid: number) => boolean, onWait?: (holder: number) => void, giveUpMs?: number }} [options]
 * @returns {Promise<() => void>}
 */
const acquire = async (dir, { pid = process.pid, isAlive = alive, onWait = () => {}, giveUpMs = GIVE_UP_MS } = {}) => {
  const lock = path.join(dir, LOCK);
  const owner = path.join(lock, 'pid');
  const started = Date.now();
  let told = false;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(owner, String(pid));
      return () => rmSync(lock, { recursive: true, force: true });
    } catch (error) {
      if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'EEXIST') throw error;
    }
    let holder = Number.NaN;
    try {
      holder = Number(readFileSync(owner, 'utf8'));
    } catch {
      // made, its pid not written yet: a live holder, a moment ago
    }
    if (Number.isInteger(holder) && holder > 0 && !isAlive(holder)) {
      rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() - started > giveUpMs) throw new Error(`${lock} is held by process ${holder} for over ${giveUpMs / 60_000} minutes`);
    if (!told && Number.isInteger(holder)) {
      told = true;
      onWait(holder);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
};

class OnePackagingAtATime {
  /**
   * @param {import('@platform/serverless-base/types').Serverless} serverless
   * @param {unknown} _options
   * @param {{ log?: { notice(message: string): void } }} [utils]
   */
  constructor(serverless, _options, utils) {
    this.hooks = {
      'before:package:cleanup': async () => {
        const dir = /** @type {any} */ (serverless).serviceDir;
        if (!dir) return;
        const release = await acquire(dir, {
          onWait: (holder) => utils?.log?.notice(`Waiting for another packaging of this service to end (process ${holder})`),
        });
        process.once('exit', release);
      },
    };
  }
}

module.exports = OnePackagingAtATime;
module.exports.acquire = acquire;
module.exports.LOCK = LOCK;
