// What `npm start` prints once everything is up: where each part listens,
// which routes go where, what each event source feeds, which schedules run
// when, and where the data lives (in memory, or kept by LOCAL_PERSIST=1).
import path from 'node:path';
import { sameMajor } from '../lambda/offline.mjs';
import { ROOT } from './services.mjs';

/** @param {{ auth?: { scopes: string[] } }} route */
const accessOf = (route) => (!route.auth ? 'public' : route.auth.scopes.length > 0 ? `token with ${route.auth.scopes.join(' or ')}` : 'token');

/**
 * A public GET route without parameters, to try with curl.
 * @param {number} port @param {Array<{ method: string, path: string, auth?: unknown }>} routes
 */
const tryCurl = (port, routes) => {
  const route = routes.find(({ method, path, auth }) => method === 'GET' && !auth && !path.includes('{'));
  return route ? `   (try: curl http://localhost:${port}${route.path})` : '';
};

/**
 * Where the data lives, in one line: in memory, or kept by LOCAL_PERSIST=1.
 * @param {{ persistDir?: string }} config @param {number} keptTables  tables found from an earlier run
 */
export const dataLine = ({ persistDir }, keptTables) =>
  persistDir
    ? `  Data             tables, queues and their messages kept in ${path.relative(ROOT, persistDir) || persistDir}/ (LOCAL_PERSIST=1; ${keptTables} table(s) found from an earlier run)`
    : '  Data             in memory: every table and queue starts empty and is gone after Ctrl-C (LOCAL_PERSIST=1 keeps them)';

/**
 * Which Node the functions run on, beside the runtime they deploy to; loudly when the major versions differ.
 * @param {Array<{ name: string, runtime?: { node?: string, deployed?: string } }>} functions
 */
export const runtimeLines = (functions) => {
  /** @type {Map<string, { node: string, deployed: string, names: string[] }>} */
  const groups = new Map();
  for (const { name, runtime } of functions) {
    const node = runtime?.node ?? 'an unreported version';
    const deployed = runtime?.deployed ?? 'an unnamed runtime';
    const key = `${node} ${deployed}`;
    const group = groups.get(key) ?? { node, deployed, names: [] };
    group.names.push(name);
    groups.set(key, group);
  }
  const [only, ...others] = groups.values();
  if (only && others.length === 0 && sameMajor(only.node, only.deployed)) return [`  Runtime          functions run on node ${only.node}; they deploy to ${only.deployed}`];
  return [...groups.values()].map(({ node, deployed, names }) =>
    sameMajor(node, deployed)
      ? `  Runtime          node ${node} (deploys to ${deployed}): ${names.join(', ')}`
      : `  Runtime          WARNING: node ${node}, but they deploy to ${deployed}: ${names.join(', ')}. Start through npm (npm start), which runs the Node of .nvmrc`,
  );
};

/**
 * The schedules of the templates: what runs when, or why one does not.
 * @param {{ schedules: boolean }} config @param {Array<{ description: string }>} schedules
 */
const scheduleLines = ({ schedules: on }, schedules) => {
  if (schedules.length === 0) return [];
  if (!on) return [`  Schedules        off (LOCAL_SCHEDULES=off): ${schedules.length} schedule(s) of the templates never run`];
  return ['  Schedules        run once the stack is ready, through the invoker (LOCAL_SCHEDULES=off turns them off):', ...schedules.map(({ description }) => `    ${description}`)];
};

/**
 * The S3 line: where the front listens, and what it serves.
 * @param {{ s3Port: number }} config @param {{ buckets: string[], enforcing: boolean } | undefined} s3
 */
export const s3Lines = ({ s3Port }, s3) => [
  `  S3               http://127.0.0.1:${s3Port}   (fauxqs's S3 behind the local S3 front: POST policies, presigned URLs, ${s3?.enforcing === false ? 'IAM OFF (LOCAL_IAM=off)' : 'IAM'}, CORS, notifications; S3_PORT)`,
  ...(s3?.buckets ?? []).map((bucket) => `    bucket ${bucket}`),
];

/**
 * @param {{ config: import('./config.mjs').LocalConfig, routes: Array<{ method: string, path: string, service: string, auth?: { scopes: string[] } }>,
 *   offline: Array<{ service: { name: string }, ports: { lambda: number } }>, functions?: Array<{ name: string, runtime?: { node?: string, deployed?: string } }>, pollers: Array<{ description: string }>,
 *   startedAt: number, reusedTemplates: string[], consoleUrl?: string, schedules?: Array<{ description: string }>, keptTables?: number, s3?: { buckets: string[], enforcing: boolean } }} state
 * @returns {string[]}
 */
export const readyReport = ({ config, routes, offline, functions = [], pollers, startedAt, reusedTemplates, consoleUrl, schedules = [], keptTables = 0, s3 }) => [
  '',
  `  HTTP gateway     http://localhost:${config.httpPort}${tryCurl(config.httpPort, routes)}`,
  ...routes.map((route) => `    ${route.method.padEnd(6)} ${route.path.padEnd(16)} → ${route.service.padEnd(16)} ${accessOf(route)}`),
  `  API reference    http://localhost:${config.httpPort}/docs   (OpenAPI: /openapi.json)`,
  consoleUrl ? `  Console          ${consoleUrl}   (every hop live, queues and DLQs, tables, replay; CONSOLE_PORT)` : '  Console          off (LOCAL_CONSOLE=off)',
  `  Tokens           npm run -s token -- --email you@example.com [--scope <scope>]   (dev issuer: .local-issuer/)`,
  `  DynamoDB Local   http://localhost:${config.dynamodbPort}`,
  `  SNS + SQS        http://localhost:${config.snsSqsPort}   (fauxqs)`,
  ...s3Lines(config, s3),
  ...offline.map(({ service, ports }) => `  ${service.name.padEnd(16)} Lambda invoke API on http://localhost:${ports.lambda}`),
  ...runtimeLines(functions),
  `  Each function runs at most ${config.concurrency} invocations at once (LOCAL_LAMBDA_CONCURRENCY); more wait their turn.`,
  ...pollers.map((poller) => `  ${poller.description}`),
  ...scheduleLines(config, schedules),
  dataLine(config, keptTables),
  config.showDebug
    ? '  Logs             debug lines on (LOCAL_LOG_LEVEL=debug): serverless-offline\'s trace of each failed invocation is printed, marked (debug)'
    : '  Logs             a failed invocation is one line, with its request id; LOCAL_LOG_LEVEL=debug adds serverless-offline\'s stack traces',
  ...(config.consumerFaultEvery
    ? [`  Fault injection  1 record in ${config.consumerFaultEvery} each SQS event source takes fails, alternately before and after its handling (LOCAL_FAULT_CONSUMER_THROW_EVERY)`]
    : []),
  reusedTemplates.length > 0 ? `  Compiled templates reused (their inputs did not change): ${reusedTemplates.join(', ')}` : '  Every template compiled afresh.',
  '',
  `Local stack ready in ${((performance.now() - startedAt) / 1000).toFixed(1)} s: the API on http://localhost:${config.httpPort} (Ctrl-C stops everything)`,
];
