#!/usr/bin/env node
// `npm start`: the whole system on this machine, no AWS account, no Docker.
//  1. DynamoDB Local (Java, in memory) and fauxqs (SNS + SQS, in this process);
//  2. each service compiled with `serverless package --stage local`, and the
//     tables, topics, queues, DLQs and subscriptions of those templates created;
//  3. each service with functions served by serverless-offline on internal
//     ports, and one HTTP gateway in front that serves every service's
//     routes (taken from the compiled templates) on one port;
//  4. one poller per event source mapping (SQS queues, DynamoDB streams),
//     invoking the functions through serverless-offline.
// Ctrl-C (SIGINT) or SIGTERM stops every child process it started.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createResolver, resourcesOfType } from './lib/cfn.mjs';
import { packageForLocal } from './lib/compiled-stack.mjs';
import { assertJava, startDynamoDbLocal } from './lib/dynamodb-local.mjs';
import { createTables } from './lib/dynamodb-tables.mjs';
import { registerFunctions, startEventSources } from './lib/event-sources.mjs';
import { routesFromTemplate, startHttpGateway } from './lib/http-gateway.mjs';
import { createInvoker, DEFAULT_CONCURRENCY } from './lib/lambda-invoke.mjs';
import { assertPortFree, startChild, stopAll, waitForPort } from './lib/processes.mjs';
import { discoverServices, LOCAL_STAGE, SERVERLESS_BIN } from './lib/services.mjs';
import { startSnsSqs } from './lib/sns-sqs.mjs';
import { createQueues, createSubscriptions, createTopics } from './lib/sns-sqs-resources.mjs';

const port = (variable, fallback) => {
  const value = Number(process.env[variable] ?? fallback);
  if (!Number.isInteger(value) || value <= 0 || value > 65535) throw new Error(`${variable} must be a TCP port, got ${process.env[variable]}`);
  return value;
};

const optionalSeconds = (variable) => {
  if (process.env[variable] === undefined || process.env[variable] === '') return undefined;
  const value = Number(process.env[variable]);
  if (!Number.isInteger(value) || value < 0 || value > 43200) throw new Error(`${variable} must be whole seconds (0-43200)`);
  return value;
};

const positiveInteger = (variable, fallback) => {
  if (process.env[variable] === undefined || process.env[variable] === '') return fallback;
  const value = Number(process.env[variable]);
  if (!Number.isInteger(value) || value < 1 || value > 1000) throw new Error(`${variable} must be a whole number from 1 to 1000, got ${process.env[variable]}`);
  return value;
};

const config = {
  region: process.env.AWS_REGION ?? 'us-east-1',
  dynamodbPort: port('DYNAMODB_PORT', 8000),
  snsSqsPort: port('SNS_SQS_PORT', 4566),
  // HTTP_PORT; ITEMS_API_PORT is its older name, still honoured.
  httpPort: port(process.env.HTTP_PORT ? 'HTTP_PORT' : 'ITEMS_API_PORT', 3000),
  lambdaPortBase: port('LAMBDA_PORT_BASE', 3002),
  // Unset: a failed SQS record waits out its queue's visibility timeout, as in AWS.
  retryVisibilitySeconds: optionalSeconds('LOCAL_SQS_RETRY_SECONDS'),
  // Invocations of one function that may run at once (its reserved concurrency, when lower, wins).
  concurrency: positiveInteger('LOCAL_LAMBDA_CONCURRENCY', DEFAULT_CONCURRENCY),
};

const pollers = [];
let snsSqs;
let gateway;
let stopping = false;
const shutdown = async (exitCode) => {
  if (stopping) return;
  stopping = true;
  console.log('Stopping the local stack…');
  await Promise.all(pollers.map((poller) => poller.stop()));
  await gateway?.close();
  await stopAll();
  await snsSqs?.stop();
  process.exit(exitCode);
};
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));

const log = (line) => console.log(`[event-source] ${line}`);

/** What the invoker needs to know of each function of a compiled template. */
const localFunctions = (template, lambdaPort) =>
  resourcesOfType(template, 'AWS::Lambda::Function').map(([, { Properties }]) => ({
    name: Properties.FunctionName,
    lambdaPort,
    timeoutSeconds: Properties.Timeout ?? 6,
    reservedConcurrency: Properties.ReservedConcurrentExecutions,
  }));

const hasFunctions = (template) => resourcesOfType(template, 'AWS::Lambda::Function').length > 0;

const main = async () => {
  assertJava();
  const services = discoverServices();
  // Each service takes two consecutive internal ports: its Lambda invoke API and its own HTTP server.
  const internalPorts = new Map(
    services.map((service, index) => [service.name, { lambda: config.lambdaPortBase + 2 * index, http: config.lambdaPortBase + 2 * index + 1 }]),
  );
  await assertPortFree(config.dynamodbPort, 'DYNAMODB_PORT');
  await assertPortFree(config.snsSqsPort, 'SNS_SQS_PORT');
  await assertPortFree(config.httpPort, 'HTTP_PORT');
  for (const { lambda, http } of internalPorts.values()) {
    await assertPortFree(lambda, 'LAMBDA_PORT_BASE');
    await assertPortFree(http, 'LAMBDA_PORT_BASE');
  }

  // Every AWS SDK client in a child (and serverless-offline passes AWS_* on to
  // the functions) talks to the emulators with throw-away credentials.
  const awsEnv = {
    AWS_REGION: config.region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${config.dynamodbPort}`,
    AWS_ENDPOINT_URL_DYNAMODB_STREAMS: `http://127.0.0.1:${config.dynamodbPort}`,
    AWS_ENDPOINT_URL_SNS: `http://127.0.0.1:${config.snsSqsPort}`,
    AWS_ENDPOINT_URL_SQS: `http://127.0.0.1:${config.snsSqsPort}`,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  Object.assign(process.env, awsEnv);

  console.log(`Starting DynamoDB Local (port ${config.dynamodbPort}), SNS/SQS (port ${config.snsSqsPort}) and compiling ${services.map((s) => s.name).join(', ')}…`);
  const [dynamodb, emulator, ...stacks] = await Promise.all([
    startDynamoDbLocal(config.dynamodbPort),
    startSnsSqs(config.snsSqsPort),
    ...services.map((service) => packageForLocal(service, awsEnv)),
  ]);
  snsSqs = emulator;

  const clients = {
    dynamodb: new DynamoDBClient({ endpoint: dynamodb.endpoint }),
    streams: new DynamoDBStreamsClient({ endpoint: dynamodb.endpoint }),
    sns: new SNSClient({ endpoint: snsSqs.endpoint }),
    sqs: new SQSClient({ endpoint: snsSqs.endpoint }),
  };

  // Resources first (every topic exists before any subscription names it), then subscriptions.
  for (const stack of stacks) {
    stack.physicalIds = new Map();
    stack.resolve = createResolver({ region: config.region, stackName: `${stack.name}-${LOCAL_STAGE}`, physicalIds: stack.physicalIds });
    const context = { ...stack, template: stack.template, client: clients.dynamodb, sns: clients.sns, sqs: clients.sqs, region: config.region };
    const tables = await createTables(context);
    const topics = await createTopics(context);
    const queues = await createQueues(context);
    registerFunctions(context);
    if (tables.length > 0) console.log(`${stack.name}: tables ${tables.join(', ')}`);
    if (topics.length > 0) console.log(`${stack.name}: topics ${topics.join(', ')}`);
    for (const queue of queues) console.log(`${stack.name}: queue ${queue.name} ${JSON.stringify(queue.attributes)}`);
  }
  for (const stack of stacks) {
    for (const subscription of await createSubscriptions({ ...stack, sns: clients.sns })) {
      console.log(`${stack.name}: subscription ${subscription.topicArn.split(':').pop()} → ${subscription.endpoint.split(':').pop()} filter ${JSON.stringify(subscription.filterPolicy ?? {})}`);
    }
  }

  // Only services with functions run under serverless-offline (the event bus has none).
  const offline = stacks
    .filter((stack) => hasFunctions(stack.template))
    .map((stack) => {
      const ports = internalPorts.get(stack.name);
      const routes = routesFromTemplate(stack.template, stack.name);
      const args = ['offline', 'start', '--stage', LOCAL_STAGE, '--lambdaPort', String(ports.lambda), '--httpPort', String(ports.http)];
      const child = startChild(stack.name, SERVERLESS_BIN, args, { cwd: stack.dir, env: awsEnv });
      return { stack, child, ports, routes };
    });
  await Promise.all(offline.map(({ stack, child, ports }) => waitForPort(ports.lambda, child, stack.name)));
  for (const { stack, child } of offline) {
    child.on('exit', (code, signal) => {
      if (stopping) return;
      console.error(`${stack.name} stopped unexpectedly (${signal ?? `exit ${code}`}); stopping the local stack.`);
      void shutdown(1);
    });
  }
  const invoke = createInvoker({
    functions: offline.flatMap(({ stack, ports }) => localFunctions(stack.template, ports.lambda)),
    defaultConcurrency: config.concurrency,
  });
  const routes = offline.flatMap((entry) => entry.routes);
  gateway = await startHttpGateway({ port: config.httpPort, routes, invoke, log: (line) => console.log(`[gateway] ${line}`) });

  for (const { stack } of offline) {
    pollers.push(
      ...startEventSources({
        ...stack,
        invoke,
        sqs: clients.sqs,
        streams: clients.streams,
        region: config.region,
        retryVisibilitySeconds: config.retryVisibilitySeconds,
        log,
      }),
    );
  }

  console.log('');
  console.log(`  HTTP gateway     http://localhost:${config.httpPort}   (try: curl http://localhost:${config.httpPort}/items)`);
  for (const route of routes) console.log(`    ${route.method.padEnd(6)} ${route.path.padEnd(16)} → ${route.service}`);
  console.log(`  DynamoDB Local   http://localhost:${config.dynamodbPort}`);
  console.log(`  SNS + SQS        http://localhost:${config.snsSqsPort}   (fauxqs)`);
  for (const { stack, ports } of offline) console.log(`  ${stack.name.padEnd(16)} Lambda invoke API on http://localhost:${ports.lambda}`);
  console.log(`  Each function runs at most ${config.concurrency} invocations at once (LOCAL_LAMBDA_CONCURRENCY); more wait their turn.`);
  for (const poller of pollers) console.log(`  ${poller.description}`);
  console.log('');
  console.log(`Local stack ready: the API on http://localhost:${config.httpPort} (Ctrl-C stops everything)`);
};

main().catch(async (error) => {
  console.error(`Could not start the local stack: ${error.message}`);
  await shutdown(1);
});
