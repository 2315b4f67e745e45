#!/usr/bin/env node
// `npm start`: the whole system on this machine, no AWS account, no Docker.
//  1. DynamoDB Local (Java, in memory) and fauxqs (SNS + SQS, in this process)
//     start while each service's template is compiled (`serverless package
//     --stage local`, reused while its inputs are unchanged); each service
//     with functions starts under serverless-offline as soon as its template
//     is there;
//  2. the tables, topics, queues, DLQs, S3 buckets and subscriptions of those
//     templates are created in the emulators (S3: fauxqs's, behind the local S3
//     front on S3_PORT, which checks what S3 checks and sends bucket notifications); the functions reach the emulators through
//     the local IAM layer (lib/iam), which checks each call against the
//     function's role in those templates (LOCAL_IAM=off turns it off);
//  3. one HTTP gateway serves every service's routes on one port, and one
//     poller per event source mapping (SQS queues, DynamoDB streams) feeds
//     its function; both invoke functions through one invoker that caps each
//     function's concurrency;
//  4. once it says it is ready, the templates' schedules (EventBridge rules and
//     schedules) start, and run their functions through the same invoker.
// The data is in memory unless LOCAL_PERSIST=1 (DynamoDB Local's tables and the
// stream pollers' checkpoints in .local-data/; the ready report says which).
// Ctrl-C (SIGINT) or SIGTERM stops every child process it started.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import path from 'node:path';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { S3Client } from '@aws-sdk/client-s3';
import { createApiDocs } from '@platform/local-runtime/gateway/api-docs';
import { packageForLocal } from '@platform/local-runtime/cloudformation/compiled-stack';
import { loadDevIssuer, serveJwks } from '@platform/local-runtime/gateway/dev-issuer';
import { readConfig } from '@platform/local-runtime/stack/config';
import { assertJava, claimDataDir, startDynamoDbLocal } from '@platform/local-runtime/emulators/dynamodb-local';
import { createCheckpoints } from '@platform/local-runtime/event-sources/checkpoints';
import { startEventSources } from '@platform/local-runtime/event-sources/event-sources';
import { scheduleSources } from '@platform/local-runtime/event-sources/schedule-event-source';
import { routesFromTemplate, startHttpGateway } from '@platform/local-runtime/gateway/http-gateway';
import { enforcementWanted, startLocalIam } from '@platform/local-runtime/iam/local-iam';
import { startS3Front } from '@platform/local-runtime/s3/s3-front';
import { createJwtAuthorizer, createKeyResolver } from '@platform/local-runtime/gateway/jwt-authorizer';
import { createInvoker } from '@platform/local-runtime/lambda/lambda-invoke';
import { localAwsEnv } from '@platform/local-runtime/aws';
import { declaresFunctions, hasFunctions, localFunctions, removeOfflineWorkFolders, reportedNode, startOffline } from '@platform/local-runtime/lambda/offline';
import { assertPortFree, stopAll, waitForPort } from '@platform/local-runtime/stack/processes';
import { provisionStacks } from '@platform/local-runtime/cloudformation/provision';
import { createRecorder } from '@platform/local-runtime/stack/recorder';
import { readyReport } from '@platform/local-runtime/stack/report';
import { serveUsage } from '@platform/local-runtime/stack/usage';
import { discoverServices } from '@platform/local-runtime/stack/services';
import { startSnsSqs } from '@platform/local-runtime/emulators/sns-sqs';
import { startConsole } from '@platform/console/lib/server';

const startedAt = performance.now();
/** @type {ReturnType<typeof startEventSources>} */
const pollers = [];
/** @type {ReturnType<typeof scheduleSources>} */
const schedules = [];
/** @type {import('@platform/local-runtime/event-sources/checkpoints').Checkpoints | undefined} */
let checkpoints;
/** Gives LOCAL_PERSIST's data folder back. @type {(() => void) | undefined} */
let releaseDataDir;
/** @type {Awaited<ReturnType<typeof startSnsSqs>> | undefined} */
let snsSqs;
/** @type {Awaited<ReturnType<typeof startHttpGateway>> | undefined} */
let gateway;
/** @type {Awaited<ReturnType<typeof startS3Front>> | undefined} */
let s3Front;
/** @type {Awaited<ReturnType<typeof startConsole>> | undefined} */
let consoleServer;
let stopping = false;
/** @param {number} exitCode */
const shutdown = async (exitCode) => {
  if (stopping) return;
  stopping = true;
  console.log('Stopping the local stack…');
  await Promise.all([...schedules, ...pollers].map((source) => source.stop()));
  checkpoints?.flush();
  await gateway?.close();
  await consoleServer?.close();
  await s3Front?.close();
  await stopAll();
  await snsSqs?.stop();
  releaseDataDir?.();
  removeOfflineWorkFolders(discoverServices());
  process.exit(exitCode);
};
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));
// Whoever reads our output is gone (a test runner or bench that died): nobody
// can use the stack any more, and a write error must not end this process
// before it has stopped the detached emulators and services it started.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => shutdown(1));

/** @param {string} line */
const log = (line) => console.log(line);

/**
 * @typedef {{ lambda: number, http: number }} InternalPorts  a service's Lambda invoke API and its own (unused) HTTP server
 */

/** @param {import('@platform/local-runtime/stack/config').LocalConfig} config @param {Map<string, InternalPorts>} internalPorts */
const assertPortsFree = async (config, internalPorts) => {
  await assertPortFree(config.dynamodbPort, 'DYNAMODB_PORT');
  await assertPortFree(config.snsSqsPort, 'SNS_SQS_PORT');
  await assertPortFree(config.s3Port, 'S3_PORT');
  await assertPortFree(config.httpPort, 'HTTP_PORT');
  // Without CONSOLE_PORT, a taken default port gives the console another one (a second stack, a test's stack).
  if (config.consolePort !== undefined && config.consolePortChosen) await assertPortFree(config.consolePort, 'CONSOLE_PORT');
  for (const { lambda, http } of internalPorts.values()) {
    await assertPortFree(lambda, 'LAMBDA_PORT_BASE');
    await assertPortFree(http, 'LAMBDA_PORT_BASE');
  }
};

/**
 * Starts a service's serverless-offline, if it declares functions, while its
 * template is compiled (or reused): the two do not depend on each other.
 * @param {import('@platform/local-runtime/types').Service} service @param {InternalPorts} ports @param {Record<string, string>} awsEnv @param {boolean} showDebug
 */
const prepareService = async (service, ports, awsEnv, showDebug) => {
  const child = declaresFunctions(service) ? startOffline(service, ports, awsEnv, { showDebug }) : undefined;
  child?.on('exit', (code, signal) => {
    if (stopping) return;
    console.error(`${service.name} stopped unexpectedly (${signal ?? `exit ${code}`}); stopping the local stack.`);
    void shutdown(1);
  });
  const stack = await packageForLocal(service, awsEnv);
  if (hasFunctions(stack.template) !== Boolean(child)) throw new Error(`${service.name}: its serverless.yml and its compiled template disagree on whether it has functions`);
  return { stack, offline: child && { service, child, ports } };
};

const main = async () => {
  const config = readConfig();
  assertJava();
  const services = discoverServices();
  // Each service takes two consecutive internal ports: its Lambda invoke API and its own (unused) HTTP server.
  const internalPorts = new Map(
    services.map((service, index) => [service.name, { lambda: config.lambdaPortBase + 2 * index, http: config.lambdaPortBase + 2 * index + 1 }]),
  );
  await assertPortsFree(config, internalPorts);
  // LOCAL_PERSIST=1: DynamoDB Local keeps its tables in the data folder, and the stream pollers their checkpoints.
  if (config.persistDir) {
    releaseDataDir = claimDataDir(config.persistDir);
    checkpoints = createCheckpoints({ file: path.join(config.persistDir, 'stream-checkpoints.json'), log: (line) => log(`[event-source] ${line}`) });
  }

  Object.assign(process.env, localAwsEnv({ region: config.region, dynamodbPort: config.dynamodbPort, snsSqsPort: config.snsSqsPort, s3Port: config.s3Port }));
  // What the local console shows: the gateway, the invoker, the pollers and the IAM layer (each publish) record each hop here.
  const recorder = config.consolePort === undefined ? undefined : createRecorder();
  // What the functions run with: the emulators as the Lambda side of the stack reaches them, through the IAM layer.
  const iam = await startLocalIam(config, { log, recorder });
  // S3 always goes through the local S3 front (s3/s3-front.mjs), functions and presigned URLs alike.
  const awsEnv = localAwsEnv({ region: config.region, dynamodbPort: iam.dynamodbPort, snsSqsPort: iam.snsSqsPort, s3Port: config.s3Port });

  log(`Starting DynamoDB Local (port ${config.dynamodbPort}), SNS/SQS (port ${config.snsSqsPort}) and ${services.map((s) => s.name).join(', ')}…`);
  const [issuer, dynamodb, emulator, ...prepared] = await Promise.all([
    loadDevIssuer(),
    startDynamoDbLocal(config.dynamodbPort, { dataDir: config.persistDir && path.join(config.persistDir, 'dynamodb') }),
    startSnsSqs(config.snsSqsPort, { dataDir: config.persistDir && path.join(config.persistDir, 'sns-sqs') }),
    ...services.map((service) => prepareService(service, /** @type {InternalPorts} */ (internalPorts.get(service.name)), awsEnv, config.showDebug)),
  ]);
  snsSqs = emulator;
  const offline = prepared.flatMap(({ offline: running }) => (running ? [running] : []));

  const clients = {
    dynamodb: new DynamoDBClient({ endpoint: dynamodb.endpoint }),
    sns: new SNSClient({ endpoint: emulator.endpoint }),
    sqs: new SQSClient({ endpoint: emulator.endpoint }),
    s3: new S3Client({ endpoint: emulator.endpoint, forcePathStyle: true }),
  };
  // Every S3 request reaches fauxqs's S3 through the front; it serves the buckets once they are provisioned.
  s3Front = await startS3Front({ port: config.s3Port, upstreamPort: config.snsSqsPort, region: config.region, log, enforceIam: enforcementWanted(process.env), sqs: clients.sqs });
  const stacks = await provisionStacks(
    prepared.map(({ stack }) => stack),
    { clients, region: config.region, log },
  );
  iam.enforce(stacks);
  // The pollers are Lambda's event source mappings: they reach the emulators as the functions do.
  const runtimeClients = {
    streams: new DynamoDBStreamsClient({ endpoint: `http://127.0.0.1:${config.runtimeDynamodbPort}` }),
    sqs: new SQSClient({ endpoint: `http://127.0.0.1:${config.runtimeSnsSqsPort}` }),
  };
  await Promise.all(offline.map(({ service, child, ports }) => waitForPort(ports.lambda, child, service.name)));

  const byName = new Map(stacks.map((stack) => [stack.name, stack]));
  /** @param {string} name */
  const stackOf = (name) => /** @type {import('@platform/local-runtime/types').ProvisionedStack} */ (byName.get(name));
  const s3 = s3Front.configure({ stacks, recorder });
  const functions = offline.flatMap(({ service, child, ports }) => localFunctions(stackOf(service.name).template, ports.lambda, reportedNode(child)));
  const invoke = createInvoker({
    functions,
    defaultConcurrency: config.concurrency,
    recorder,
  });
  const routes = offline.flatMap(({ service }) => routesFromTemplate(stackOf(service.name).template, service.name));
  // GET /openapi.json and /docs: the services' OpenAPI document, made on first request.
  const apiDocs = createApiDocs({ serverUrl: `http://localhost:${config.httpPort}`, log: (line) => log(`[gateway] ${line}`) });
  gateway = await startHttpGateway({
    port: config.httpPort,
    routes,
    invoke,
    // Every route with an authorizer in its template is verified as API Gateway would; there is no switch to turn it off.
    authorize: createJwtAuthorizer({ keysFor: createKeyResolver([issuer]) }),
    // GET /.local/usage: what the functions used so far, for the cost model (npm run bench, docs/cost.md).
    extras: [serveJwks(issuer.jwks), apiDocs.handle, serveUsage()],
    log: (line) => log(`[gateway] ${line}`),
    recorder,
    // A request whose function timed out or crashed says what it wrote, as the IAM layer saw its calls.
    writesOf: iam.writesOf,
    failureHint: config.showDebug ? undefined : 'trace: LOCAL_LOG_LEVEL=debug',
  });
  for (const { service } of offline) {
    pollers.push(
      ...startEventSources({
        ...stackOf(service.name),
        invoke,
        sqs: runtimeClients.sqs,
        streams: runtimeClients.streams,
        region: config.region,
        retryVisibilitySeconds: config.retryVisibilitySeconds,
        streamMaxRecordAgeSeconds: config.streamMaxRecordAgeSeconds,
        failEvery: config.consumerFaultEvery,
        log: (line) => log(`[event-source] ${line}`),
        recorder,
        checkpoints,
      }),
    );
    // Made (and their expressions read, loudly if one cannot be) now; started once the stack is ready.
    schedules.push(...scheduleSources({ ...stackOf(service.name), invoke, region: config.region, log: (line) => log(`[schedule] ${line}`), recorder }));
  }

  if (recorder && config.consolePort !== undefined) {
    consoleServer = await startConsole({
      port: config.consolePort,
      anyPortIfTaken: !config.consolePortChosen,
      recorder,
      stacks,
      dynamodbEndpoint: dynamodb.endpoint,
      snsSqsEndpoint: emulator.endpoint,
      inspectQueue: (name) => emulator.server.inspectQueue(name),
      log: (line) => log(`[console] ${line}`),
    });
  }

  const reusedTemplates = stacks.filter((stack) => stack.reused).map((stack) => stack.name);
  const keptTables = stacks.reduce((count, stack) => count + (stack.keptTables?.length ?? 0), 0);
  readyReport({ config, routes, offline, functions, pollers, startedAt, reusedTemplates, consoleUrl: consoleServer?.url, schedules, keptTables, s3 }).forEach((line) => log(line));
  // Nothing scheduled runs before this point: the tables, queues, roles and pollers are all there.
  if (config.schedules && !stopping) schedules.forEach((schedule) => schedule.start());
};

main().catch(async (error) => {
  console.error(`Could not start the local stack: ${error.message}`);
  await shutdown(1);
});
