// One fuzzing run: a local stack (its own, or one already running), the
// scenario's model of it seeded by the scenario, then `runs` generated
// requests, one at a time, each checked against every property (checks.mjs,
// and the scenario's own) and, when it was a refused write, against the
// tables (tables.mjs). fast-check drives it: the first failure is shrunk to a
// smallest counterexample and printed with the seed and path that replay it.
// The engine knows HTTP, the API's conventions (the error shape, bearer
// tokens, the OpenAPI document) and the local stack; everything about the
// domain comes in as the scenario (FuzzScenario).
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { checkResponse, PROPERTIES } from './checks.mjs';
import { createHttpClient } from './http-client.mjs';
import { materialize } from './materialize.mjs';
import { createOpenApi } from './openapi.mjs';
import { expectationFor } from './oracle.mjs';
import { GATEWAY_MAX_BODY, planArbitrary } from './plans.mjs';
import { describeChange } from './tables.mjs';
import { createTokenSource, kindLookup } from './tokens.mjs';

const require = createRequire(import.meta.url);
/** @type {typeof import('@platform/local-stack/process')} */
const { startLocalStack } = require('@platform/local-stack/process');

/**
 * @typedef {import('./plans.mjs').Plan} Plan
 * @typedef {import('./materialize.mjs').Ctx} Ctx
 * @typedef {import('./oracle.mjs').Expectation} Expectation
 * @typedef {import('./http-client.mjs').RawRequest} RawRequest
 * @typedef {import('./http-client.mjs').RawResponse} RawResponse
 * @typedef {import('./tables.mjs').Snapshot} Snapshot
 * @typedef {import('./tables.mjs').Snapshotter} Snapshotter
 * @typedef {import('@platform/local-stack/process').RunningStack} RunningStack
 * @typedef {{ property: string, message: string }} Violation
 *
 * @typedef {object} Setup  what the scenario's seed and replenish hooks use to make what the fuzzer needs
 * @property {any} model
 * @property {string} nonce  unique to the run, for keys and names
 * @property {(kind: string) => import('./tokens.mjs').TokenKind} kindOf
 * @property {(method: string, path: string, options?: { caller?: string, body?: unknown, headers?: string[] }) => Promise<{ status: number | undefined, json: any, response: RawResponse }>} call
 *   one request as the caller (a token kind), counted as setup; headers go after the token and content type
 * @property {(method: string, path: string, options?: { caller?: string, body?: unknown, headers?: string[] }) => Promise<any>} must
 *   the same, for a request that must succeed: its parsed body, or an error
 *
 * @typedef {object} Outcome  one generated request and its answer
 * @property {Plan} plan
 * @property {RawRequest} request
 * @property {Ctx} ctx
 * @property {Expectation} expectation
 * @property {RawResponse} response
 * @property {any} json  the answer's body, when it is JSON
 * @property {any} model
 *
 * @typedef {object} FuzzScenario  the domain: its callers, its model, and what it knows of each route
 * @property {import('./tokens.mjs').Callers} tokens
 * @property {() => any} createModel  what the fuzzer knows of the running system; it learns only from its own successful requests
 * @property {(setup: Setup) => Promise<string>} seed  makes what the first requests need; says what it made, for the log
 * @property {(setup: Setup) => Promise<boolean>} [replenish]  before each request: makes more when some ran out; true when it wrote
 * @property {(outcome: Outcome) => void} learn  what the model learns from an answer (every 2xx is a fact about the system)
 * @property {(outcome: Outcome) => Array<{ property: string, problem?: string }>} [check]  the scenario's own properties, checked on each answer
 * @property {Record<string, string>} [properties]  their descriptions, in the order they are reported
 * @property {(dynamodbEndpoint: string) => Snapshotter} [createSnapshotter]  the tables a refused write must leave unchanged
 * @property {import('./plans.mjs').PlanHooks} plans
 * @property {import('./materialize.mjs').MaterializeHooks} materialize
 * @property {import('./oracle.mjs').OracleHooks} oracle
 *
 * @typedef {object} FuzzOptions
 * @property {FuzzScenario} scenario
 * @property {number} [runs]  generated requests (fast-check numRuns)
 * @property {number} [seed]
 * @property {string} [path]  fast-check's replay path of a counterexample (with its seed)
 * @property {string} [apiUrl]  a running stack's gateway; without it, a stack of its own is started
 * @property {string} [dynamodbEndpoint]  that stack's DynamoDB (default http://127.0.0.1:$DYNAMODB_PORT or 8000)
 * @property {boolean} [keepGoing]  report every failing request instead of stopping at (and shrinking) the first
 * @property {number} [progressEvery]
 * @property {(line: string) => void} [log]
 * @property {(seed: number, path: string) => string} [replayCommand]  the command that replays one counterexample
 *
 * @typedef {{ property: string, path: string, replay: string, requestId: string | undefined, text: string }} FailureReport
 */

/** @param {number} seed @param {string} path */
const defaultReplay = (seed, path) => `npm run fuzz -- --seed ${seed} --path "${path}" --runs 1`;

/** @param {FuzzOptions} options */
export const runFuzz = async ({ scenario, runs = 1000, seed, path: replayPath, apiUrl, dynamodbEndpoint, keepGoing = false, progressEvery = 250, log = console.log, replayCommand = defaultReplay }) => {
  const started = performance.now();
  const chosenSeed = seed ?? Math.floor(Math.random() * 0x7fffffff);
  /** @type {RunningStack | undefined} */
  let stack;
  if (!apiUrl) {
    log('Starting a local stack of its own (free ports)…');
    // Each stack bundles into a work folder of its own (tools/local-runtime/lambda/offline.mjs) and removes it when it stops.
    stack = await startLocalStack();
    log(`Local stack ready in ${(stack.readyMs / 1000).toFixed(1)} s: ${stack.apiUrl}`);
  }
  const baseUrl = stack?.apiUrl ?? /** @type {string} */ (apiUrl);
  const client = createHttpClient(baseUrl);
  const snapshots = scenario.createSnapshotter?.(stack?.dynamodbEndpoint ?? dynamodbEndpoint ?? `http://127.0.0.1:${process.env.DYNAMODB_PORT ?? 8000}`);
  try {
    return await fuzz({ scenario, runs, seed: chosenSeed, path: replayPath, keepGoing, progressEvery, log, client, snapshots, stack, started, replayCommand });
  } finally {
    client.close();
    snapshots?.close();
    await stack?.stop();
  }
};

/**
 * @param {Required<Pick<FuzzOptions, 'scenario' | 'runs' | 'keepGoing' | 'progressEvery' | 'log' | 'replayCommand'>> & {
 *   seed: number, path: string | undefined, client: ReturnType<typeof createHttpClient>, snapshots: Snapshotter | undefined,
 *   stack: RunningStack | undefined, started: number }} options
 */
const fuzz = async ({ scenario, runs, seed, path, keepGoing, progressEvery, log, client, snapshots, stack, started, replayCommand }) => {
  const docResponse = await client.send({ method: 'GET', path: '/openapi.json', headers: [] });
  if (docResponse.status !== 200) throw new Error(`GET /openapi.json answered ${docResponse.status ?? docResponse.error}`);
  const openapi = createOpenApi(JSON.parse(docResponse.body.toString('utf8')));
  const operations = openapi.operations();
  const byId = new Map(operations.map((operation) => [operation.operationId, operation]));
  const model = scenario.createModel();
  const tokens = await createTokenSource(scenario.tokens);
  const kindOf = kindLookup(scenario.tokens.callers);
  const nonce = `fz${seed.toString(36)}${Date.now().toString(36).slice(-4)}`;
  const env = { operations: byId, model, tokens, kindOf, nonce, hooks: scenario.materialize };
  const properties = { ...PROPERTIES, ...scenario.properties };

  const stats = {
    requests: 0,
    setupRequests: 0,
    propertyChecks: 0,
    /** @type {Record<string, number>} */ checksByProperty: {},
    /** @type {Record<string, Record<string, number>>} */ byRoute: {},
    /** @type {Record<string, number>} */ byStatus: {},
    expectedSuccess: 0,
    expectedRefusal: 0,
    tableChecks: 0,
    parserRefusals: 0,
    overGatewayLimit: 0,
    /** @type {Record<string, number>} */ coverage: {},
    /** @type {FailureReport[]} */ failures: [],
  };

  /** @type {Setup['call']} */
  const call = async (method, requestPath, { caller, body, headers = [] } = {}) => {
    const authorization = caller ? await tokens.authorization(caller) : undefined;
    const sent = [...(authorization ? ['authorization', authorization] : []), ...(body ? ['content-type', 'application/json'] : []), ...headers];
    const response = await client.send({ method, path: requestPath, headers: sent, body: body ? Buffer.from(JSON.stringify(body)) : undefined });
    stats.setupRequests += 1;
    let json;
    try {
      json = response.body.length > 0 ? JSON.parse(response.body.toString('utf8')) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, json, response };
  };
  /** A request the fuzzer needs (seeding, refilling what ran out), which must succeed. @type {Setup['must']} */
  const must = async (method, requestPath, options) => {
    const { status, json, response } = await call(method, requestPath, options);
    if (status === undefined || status >= 300) {
      throw new Error(`Setup request ${method} ${requestPath} answered ${status ?? response.error}: ${response.body.toString('utf8').slice(0, 300)}`);
    }
    return json;
  };
  /** @type {Setup} */
  const setup = { model, nonce, kindOf, call, must };

  /** @type {Snapshot | undefined} */
  let lastSnapshot;
  const seeded = await scenario.seed(setup);
  log(`Seeded: ${seeded} (${stats.setupRequests} requests); fuzzing ${operations.length} operations: ${operations.map((operation) => `${operation.method} ${operation.path}`).join(', ')}`);

  let runIndex = 0;
  /** @type {(Outcome & { violations: Violation[], requestId: string | undefined }) | undefined} */
  let lastFailure;
  /** @param {Plan} plan */
  const execute = async (plan) => {
    if (scenario.replenish && (await scenario.replenish(setup))) lastSnapshot = undefined;
    const { request, ctx } = await materialize(plan, env);
    const expectation = expectationFor({ request, ctx, operations, openapi, model, hooks: scenario.oracle, cursors: scenario.materialize.cursors });
    const writes = request.method !== 'GET' && request.method !== 'HEAD' && request.method !== 'OPTIONS';
    if (snapshots && writes && !lastSnapshot) lastSnapshot = await snapshots.snapshot(model);

    const response = await client.send(request);
    const { checked, violations, json } = checkResponse({ request, response, expectation, openapi });

    if (snapshots && writes) {
      if (response.status === undefined || response.status >= 400) {
        const after = await snapshots.snapshot(model);
        checked.push('unchanged');
        stats.tableChecks += 1;
        const change = lastSnapshot && describeChange(lastSnapshot, after);
        if (change) violations.push({ property: 'unchanged', message: `a refused request changed a table:\n${change}` });
        lastSnapshot = after;
      } else {
        lastSnapshot = undefined;
      }
    }
    /** @type {Outcome} */
    const outcome = { plan, request, ctx, expectation, response, json, model };
    for (const { property, problem } of scenario.check?.(outcome) ?? []) {
      checked.push(property);
      if (problem) violations.push({ property, message: problem });
    }
    scenario.learn(outcome);

    stats.requests += 1;
    stats.propertyChecks += checked.length;
    for (const property of checked) stats.checksByProperty[property] = (stats.checksByProperty[property] ?? 0) + 1;
    const status = String(response.status ?? 'none');
    stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
    const route = (stats.byRoute[plan.route] ??= {});
    route[status] = (route[status] ?? 0) + 1;
    const expected = expectation.statuses[0];
    if (expectation.parserRefusal && response.status === expected) stats.parserRefusals += 1;
    if ((request.body?.length ?? 0) > GATEWAY_MAX_BODY) stats.overGatewayLimit += 1;
    for (const category of categoriesOf(plan)) stats.coverage[category] = (stats.coverage[category] ?? 0) + 1;
    if (expected !== undefined && expected < 300) stats.expectedSuccess += 1;
    else if (expected !== undefined) stats.expectedRefusal += 1;
    const requestId = response.headers['apigw-requestid'];
    return { ...outcome, violations, requestId: Array.isArray(requestId) ? requestId[0] : requestId };
  };

  const property = fc.asyncProperty(planArbitrary(operations, scenario), async (plan) => {
    const index = runIndex;
    runIndex += 1;
    const outcome = await execute(plan);
    if (stats.requests % progressEvery === 0) {
      log(`… ${stats.requests} requests, ${stats.failures.length} failing, ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
    if (outcome.violations.length === 0) return;
    lastFailure = outcome;
    if (keepGoing) {
      const report = failureReport(outcome, { seed, path: String(index), stack, replayCommand });
      stats.failures.push(report);
      log(report.text);
      return;
    }
    throw new Error(outcome.violations.map((violation) => `${violation.property}: ${violation.message}`).join('; '));
  });

  const details = await fc.check(property, { numRuns: runs, seed, ...(path !== undefined && { path }), endOnFailure: false });
  if (details.failed && !keepGoing) {
    const report = lastFailure
      ? failureReport(lastFailure, { seed, path: details.counterexamplePath ?? '', stack, shrinks: details.numShrinks, replayCommand })
      : { property: 'error', path: details.counterexamplePath ?? '', replay: '', requestId: undefined, text: `fast-check stopped: ${details.errorInstance}` };
    stats.failures.push(report);
    log(report.text);
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    seed,
    runs: details.numRuns,
    seconds,
    operations: operations.map((operation) => operation.operationId),
    ...stats,
    summary: summarize({ seed, seconds, stackSeconds: stack && stack.readyMs / 1000, stats, operations, replayPath: path, properties }),
  };
};

/**
 * The kinds of input a plan exercises, for the coverage figures: `body:raw`, `id:odd`, `token:algNone`…
 * @param {Plan} plan
 */
export const categoriesOf = (plan) => {
  const categories = [`token:${plan.auth.kind}`];
  if (plan.auth.duplicate) categories.push('header:duplicate-authorization');
  if (plan.method !== undefined) categories.push(typeof plan.method === 'string' ? `method:${plan.method}` : 'method:preflight');
  if (plan.id) categories.push(`id:${plan.id.kind}`);
  if (plan.query.kind !== 'none') categories.push(`query:${plan.query.kind}`);
  for (const mutation of plan.body?.mutations ?? []) {
    categories.push(`body:${mutation.op}${mutation.op === 'syntax' ? `:${mutation.how}` : ''}`);
    if (mutation.op === 'set' && ['__proto__', 'constructor', 'prototype'].includes(mutation.field)) categories.push('body:prototype-key');
  }
  if (plan.contentType !== 'json' && plan.contentType !== 'none') categories.push(`content-type:${plan.contentType}`);
  if (plan.contentType === 'none' && plan.body) categories.push('content-type:missing');
  if (plan.headers.length > 0) categories.push('header:extra');
  if (plan.idempotencyKey && plan.idempotencyKey.kind !== 'none') categories.push(`idempotency-key:${plan.idempotencyKey.kind}`);
  if (plan.chunked) categories.push('chunked');
  return categories;
};

/** Printable bytes: text as JSON-escaped, long bodies cut. @param {Buffer | undefined} buffer */
const preview = (buffer, limit = 600) => {
  if (!buffer || buffer.length === 0) return '(none)';
  const text = buffer.toString('utf8');
  const shown = JSON.stringify(text.length > limit ? text.slice(0, limit) : text);
  return `${buffer.length} bytes: ${shown}${text.length > limit ? ' …' : ''}`;
};

/** @param {string[]} headers */
const headerLines = (headers) => {
  const lines = [];
  for (let index = 0; index < headers.length; index += 2) {
    const value = String(headers[index + 1]);
    const shown = headers[index] === 'authorization' && value.length > 40 ? `${value.slice(0, 30)}…(${value.length} chars)` : value.length > 120 ? `${value.slice(0, 120)}…` : value;
    lines.push(`      ${headers[index]}: ${JSON.stringify(shown)}`);
  }
  return lines;
};

/**
 * @param {Outcome & { violations: Violation[], requestId: string | undefined }} outcome
 * @param {{ seed: number, path: string, stack: RunningStack | undefined, shrinks?: number, replayCommand: (seed: number, path: string) => string }} where
 * @returns {FailureReport}
 */
const failureReport = (outcome, { seed, path, stack, shrinks, replayCommand }) => {
  const { plan, request, ctx, expectation, response, violations, requestId } = outcome;
  const replay = replayCommand(seed, path);
  const logLines = stack && requestId ? stack.output().split('\n').filter((line) => line.includes(requestId)).slice(0, 20) : [];
  const text = [
    `✗ FAILED ${violations.map((violation) => violation.property).join(', ')}${shrinks !== undefined ? ` (shrunk ${shrinks} times)` : ''}`,
    ...violations.map((violation) => `  ${violation.property}: ${violation.message}`),
    `  seed ${seed}, path "${path}"; replay: ${replay}`,
    `  plan: ${JSON.stringify(plan)}`,
    `  request: ${request.method} ${request.path.length > 300 ? `${request.path.slice(0, 300)}…(${request.path.length} chars)` : request.path}${request.chunked ? ' (chunked)' : ''}`,
    ...headerLines(request.headers),
    `    body ${preview(request.body)}`,
    `  token: ${ctx.authKind}; expected ${expectation.statuses.join(' or ') || 'any non-5xx'}: ${expectation.why}`,
    `  response: ${response.status ?? response.error} in ${Math.round(response.ms)} ms, apigw-requestid ${requestId ?? '–'}`,
    ...Object.entries(response.headers)
      .filter(([name]) => ['content-type', 'www-authenticate', 'retry-after', 'connection'].includes(name))
      .map(([name, value]) => `      ${name}: ${JSON.stringify(value)}`),
    `    body ${preview(response.body)}`,
    ...(logLines.length > 0 ? ['  stack log lines with its request id:', ...logLines.map((line) => `    ${line.slice(0, 800)}`)] : []),
  ].join('\n');
  return { property: violations.map((violation) => violation.property).join(', '), path, replay, requestId, text };
};

/**
 * @param {{ seed: number, seconds: number, stackSeconds: number | undefined, replayPath: string | undefined,
 *   stats: { requests: number, setupRequests: number, propertyChecks: number, checksByProperty: Record<string, number>, byRoute: Record<string, Record<string, number>>,
 *     expectedSuccess: number, expectedRefusal: number, tableChecks: number, parserRefusals: number, overGatewayLimit: number,
 *     coverage: Record<string, number>, failures: FailureReport[] },
 *   operations: import('./openapi.mjs').Operation[], properties: Record<string, string> }} input
 */
const summarize = ({ seed, seconds, stackSeconds, stats, operations, replayPath, properties }) => {
  const routes = operations.map((operation) => {
    const counts = stats.byRoute[operation.operationId] ?? {};
    const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
    const statuses = Object.entries(counts)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([status, count]) => `${status}×${count}`)
      .join(' ');
    return `    ${`${operation.method} ${operation.path}`.padEnd(20)} ${String(total).padStart(5)}  ${statuses}`;
  });
  const checkedProperties = Object.entries(properties)
    .filter(([property]) => stats.checksByProperty[property])
    .map(([property, description]) => {
      const failed = stats.failures.filter((failure) => failure.property.split(', ').includes(property)).length;
      return `    ${description}: ${stats.checksByProperty[property]} checked${failed > 0 ? `, ${failed} FAILED` : ''}`;
    });
  return [
    `Fuzzed ${stats.requests} requests (+${stats.setupRequests} setup) over ${operations.length} routes in ${seconds.toFixed(1)} s${stackSeconds !== undefined ? ` (${stackSeconds.toFixed(1)} s of it starting the stack)` : ''}, seed ${seed}${replayPath !== undefined ? `, path "${replayPath}"` : ''}`,
    `  ${stats.propertyChecks} property checks, ${stats.failures.length} failure${stats.failures.length === 1 ? '' : 's'}; ${stats.expectedSuccess} requests should succeed, ${stats.expectedRefusal} should be refused; ${stats.tableChecks} refused writes checked against the tables`,
    `  ${stats.overGatewayLimit} bodies over the gateway's 10 MB`,
    ...(stats.parserRefusals > 0 ? [`  ${stats.parserRefusals} refused by Node's HTTP parser before the gateway (non-ASCII request line, over 16 KiB of headers): answered 400/431 in the error shape by the gateway's clientError handler`] : []),
    `  ${Object.keys(stats.coverage).length} kinds of input exercised (tokens, ids, queries, body mutations, content types, headers, methods, keys)`,
    '  by route (status×count):',
    ...routes,
    '  properties:',
    ...checkedProperties,
    ...(stats.failures.length > 0 ? ['  replay:', ...stats.failures.map((failure) => `    ${failure.replay}   # ${failure.property}`)] : []),
  ].join('\n');
};
