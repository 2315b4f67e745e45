#!/usr/bin/env node
// `npm start`: the whole system on this machine, no AWS account, no Docker.
//  1. DynamoDB Local (Java, in memory);
//  2. each service compiled with `serverless package --stage local`, and the
//     tables of those templates created locally;
//  3. each service served by serverless-offline.
// Ctrl-C (SIGINT) or SIGTERM stops every child process it started.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createResolver } from './lib/cfn.mjs';
import { packageForLocal } from './lib/compiled-stack.mjs';
import { startDynamoDbLocal } from './lib/dynamodb-local.mjs';
import { createTables } from './lib/dynamodb-tables.mjs';
import { assertPortFree, startChild, stopAll, waitForPort } from './lib/processes.mjs';
import { discoverServices, LOCAL_STAGE, SERVERLESS_BIN } from './lib/services.mjs';

const port = (variable, fallback) => {
  const value = Number(process.env[variable] ?? fallback);
  if (!Number.isInteger(value) || value <= 0 || value > 65535) throw new Error(`${variable} must be a TCP port, got ${process.env[variable]}`);
  return value;
};

const config = {
  region: process.env.AWS_REGION ?? 'us-east-1',
  dynamodbPort: port('DYNAMODB_PORT', 8000),
  httpPort: port('ITEMS_API_PORT', 3000),
  lambdaPortBase: port('LAMBDA_PORT_BASE', 3002),
};

let stopping = false;
const shutdown = async (exitCode) => {
  if (stopping) return;
  stopping = true;
  console.log('Stopping the local stack…');
  await stopAll();
  process.exit(exitCode);
};
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));

const main = async () => {
  const services = discoverServices();
  const lambdaPorts = new Map(services.map((service, index) => [service.name, config.lambdaPortBase + index]));
  await assertPortFree(config.dynamodbPort, 'DYNAMODB_PORT');
  await assertPortFree(config.httpPort, 'ITEMS_API_PORT');
  for (const lambdaPort of lambdaPorts.values()) await assertPortFree(lambdaPort, 'LAMBDA_PORT_BASE');

  // Every AWS SDK client in a child (and serverless-offline passes AWS_* on to
  // the functions) talks to the emulators with throw-away credentials.
  const awsEnv = {
    AWS_REGION: config.region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${config.dynamodbPort}`,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  Object.assign(process.env, awsEnv);

  console.log(`Starting DynamoDB Local on port ${config.dynamodbPort} and compiling ${services.map((s) => s.name).join(', ')}…`);
  const [dynamodb, ...stacks] = await Promise.all([
    startDynamoDbLocal(config.dynamodbPort),
    ...services.map((service) => packageForLocal(service, awsEnv)),
  ]);

  const dynamoClient = new DynamoDBClient({ endpoint: dynamodb.endpoint, region: config.region });
  for (const stack of stacks) {
    const physicalIds = new Map();
    const resolve = createResolver({ region: config.region, stackName: `${stack.name}-${LOCAL_STAGE}`, physicalIds });
    const tables = await createTables({ client: dynamoClient, template: stack.template, resolve, physicalIds, region: config.region });
    if (tables.length > 0) console.log(`${stack.name}: tables ${tables.join(', ')}`);
  }
  dynamoClient.destroy();

  const offline = services.map((service) => {
    const lambdaPort = lambdaPorts.get(service.name);
    const args = ['offline', 'start', '--stage', LOCAL_STAGE, '--lambdaPort', String(lambdaPort)];
    if (service.name === 'items-api') args.push('--httpPort', String(config.httpPort));
    const child = startChild(service.name, SERVERLESS_BIN, args, { cwd: service.dir, env: awsEnv });
    return { service, child, lambdaPort };
  });
  await Promise.all(
    offline.map(({ service, child, lambdaPort }) =>
      waitForPort(service.name === 'items-api' ? config.httpPort : lambdaPort, child, service.name),
    ),
  );
  for (const { service, child } of offline) {
    child.on('exit', (code, signal) => {
      if (stopping) return;
      console.error(`${service.name} stopped unexpectedly (${signal ?? `exit ${code}`}); stopping the local stack.`);
      void shutdown(1);
    });
  }

  console.log('');
  console.log(`  items-api       http://localhost:${config.httpPort}   (try: curl http://localhost:${config.httpPort}/items)`);
  console.log(`  DynamoDB Local  http://localhost:${config.dynamodbPort}`);
  for (const { service, lambdaPort } of offline) console.log(`  ${service.name.padEnd(15)} Lambda invoke API on http://localhost:${lambdaPort}`);
  console.log('');
  console.log(`Local stack ready: items-api on http://localhost:${config.httpPort} (Ctrl-C stops everything)`);
};

main().catch(async (error) => {
  console.error(`Could not start the local stack: ${error.message}`);
  await shutdown(1);
});
