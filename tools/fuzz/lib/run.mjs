// One fuzzing run: a local stack (its own, or one already running), a model
// of it seeded with a few items and orders, then `runs` generated requests,
// one at a time, each checked against every property (checks.mjs) and, when
// it was a refused write, against the tables (model.mjs). fast-check drives
// it: the first failure is shrunk to a smallest counterexample and printed
// with the seed and path that replay it.
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { checkResponse, PROPERTIES } from './checks.mjs';
import { createHttpClient } from './http-client.mjs';
import { materialize } from './materialize.mjs';
import { createModel, createSnapshotter, describeChange, requestHash } from './model.mjs';
import { createOpenApi } from './openapi.mjs';
import { expectationFor } from './oracle.mjs';
import { GATEWAY_MAX_BODY, planArbitrary } from './plans.mjs';
import { createTokenSource, tokenKind } from './tokens.mjs';

const require = createRequire(import.meta.url);
/** @type {typeof import('@platform/local-stack/process')} */
const { startLocalStack } = require('@platform/local-stack/process');

/** Pool items PATCH and DELETE aim at: refilled to POOL_SIZE when fewer than POOL_MIN are left. */
const POOL_SIZE = 6;
const POOL_MIN = 3;
const ORDER_ITEMS = 3;

/**
 * @typedef {object} FuzzOptions
 * @property {number} [runs]  generated requests (fast-check numRuns)
 * @property {number} [seed]
 * @property {string} [path]  fast-check's replay path of a counterexample (with its seed)
 * @property {string} [apiUrl]  a running stack's gateway; without it, a stack of its own is started
 * @property {string} [dynamodbEndpoint]  that stack's DynamoDB (default http://127.0.0.1:$DYNAMODB_PORT or 8000)
 * @property {boolean} [keepGoing]  report every failing request instead of stopping at (and shrinking) the first
 * @property {number} [progressEvery]
 * @property {(line: string) => void} [log]
 */

/**
 * @param {FuzzOptions} [options]
 */
export const runFuzz = async ({ runs = 1000, seed, path: replayPath, apiUrl, dynamodbEndpoint, keepGoing = false, progressEvery = 250, log = console.log } = {}) => {
  const started = performance.now();
  const chosenSeed = seed ?? Math.floor(Math.random() * 0x7fffffff);
  let stack;
  if (!apiUrl) {
    log('Starting a local stack of its own (free ports)…');
    // Each stack bundles into a work folder of its own (tools/local-runtime/lambda/offline.mjs) and removes it when it stops.
    stack = await startLocalStack();
    log(`Local stack ready in ${(stack.readyMs / 1000).toFixed(1)} s: ${stack.apiUrl}`);
  }
  const baseUrl = stack?.apiUrl ?? /** @type {string} */ (apiUrl);
  const client = createHttpClient(baseUrl);
  const snapshots = createSnapshotter(stack?.dynamodbEndpoint ?? dynamodbEndpoint ?? `http://127.0.0.1:${process.env.DYNAMODB_PORT ?? 8000}`);
  try {
    return await fuzz({ runs, seed: chosenSeed, path: replayPath, keepGoing, progressEvery, log, client, snapshots, stack, started });
  } finally {
    client.close();
    snapshots.close();
    await stack?.stop();
  }
};

const fuzz = async ({ runs, seed, path, keepGoing, progressEvery, log, client, snapshots, stack, started }) => {
  const docResponse = await client.send({ method: 'GET', path: '/openapi.json', headers: [] });
  if (docResponse.status !== 200) throw new Error(`GET /openapi.json answered ${docResponse.status ?? docResponse.error}`);
  const openapi = createOpenApi(JSON.parse(docResponse.body.toString('utf8')));
  const operations = openapi.operations();
  const byId = new Map(operations.map((operation) => [operation.operationId, operation]));
  const model = createModel();
  const tokens = await createTokenSource();
  const nonce = `fz${seed.toString(36)}${Date.now().toString(36).slice(-4)}`;
  const env = { operations: byId, model, tokens, nonce };

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

  /** A request the fuzzer needs (seeding, refilling the pool), which must succeed. */
  const setup = async (method, requestPath, kind, body) => {
    const authorization = kind ? await tokens.authorization(kind) : undefined;
    const headers = [...(authorization ? ['authorization', authorization] : []), ...(body ? ['content-type', 'application/json'] : [])];
    const response = await client.send({ method, path: requestPath, headers, body: body ? Buffer.from(JSON.stringify(body)) : undefined });
    stats.setupRequests += 1;
    if (response.status === undefined || response.status >= 300) {
      throw new Error(`Setup request ${method} ${requestPath} answered ${response.status ?? response.error}: ${response.body.toString('utf8').slice(0, 300)}`);
    }
    return response.body.length > 0 ? JSON.parse(response.body.toString('utf8')) : undefined;
  };
  const createItem = async (kind, stock) => {
    const item = await setup('POST', '/items', 'staff', { name: `fuzz ${kind} item`, priceCents: 100, stock });
    model.addItem(item.id, item.version, kind);
  };
  /** @type {import('./model.mjs').Snapshot | undefined} */
  let lastSnapshot;
  const replenish = async () => {
    if (model.pool.length < POOL_MIN) {
      while (model.pool.length < POOL_SIZE) await createItem('pool', 10);
      lastSnapshot = undefined;
    }
    if (model.cursors.length === 0) {
      const page = await setup('GET', '/items?limit=1');
      if (page.nextCursor) model.addCursor(page.nextCursor);
    }
  };

  // Seed: items of both kinds, a few orders of three customers, one with an Idempotency-Key, a cursor.
  for (let index = 0; index < ORDER_ITEMS; index += 1) await createItem('order', 1_000_000);
  await replenish();
  for (const [kind, count] of /** @type {const} */ ([['ada', 2], ['bob', 2], ['staff', 1]])) {
    for (let index = 0; index < count; index += 1) {
      const itemId = model.orderItems[index % model.orderItems.length] ?? '';
      const order = await setup('POST', '/orders', kind, { itemId, quantity: 1 });
      model.addOrder(order.orderId, tokenKind(kind).subject ?? '', itemId, 1);
    }
  }
  {
    const key = `${nonce}.seed`;
    const itemId = model.orderItems[0] ?? '';
    const response = await client.send({
      method: 'POST',
      path: '/orders',
      headers: ['authorization', /** @type {string} */ (await tokens.authorization('ada')), 'content-type', 'application/json', 'idempotency-key', key],
      body: Buffer.from(JSON.stringify({ itemId, quantity: 2 })),
    });
    stats.setupRequests += 1;
    const order = JSON.parse(response.body.toString('utf8'));
    if (response.status !== 202) throw new Error(`Setup order with an Idempotency-Key answered ${response.status}`);
    const ada = tokenKind('ada').subject ?? '';
    model.addOrder(order.orderId, ada, itemId, 2);
    model.addKey(ada, key, order.orderId, itemId, 2);
  }
  log(`Seeded: ${model.pool.length} pool items, ${model.orderItems.length} order items, ${model.orders.size} orders (${stats.setupRequests} requests); fuzzing ${operations.length} operations: ${operations.map((operation) => `${operation.method} ${operation.path}`).join(', ')}`);

  let runIndex = 0;
  let lastFailure;
  const execute = async (plan) => {
    await replenish();
    const { request, ctx } = await materialize(plan, env);
    const expectation = expectationFor({ request, ctx, operations, openapi, model });
    const writes = request.method !== 'GET' && request.method !== 'HEAD' && request.method !== 'OPTIONS';
    const subject = ctx.caller.subject ?? '';
    const earlierKey = ctx.idempotencyKey !== undefined ? model.keyOf(subject, ctx.idempotencyKey) : undefined;
    if (writes && !lastSnapshot) lastSnapshot = await snapshots.snapshot(model);

    const response = await client.send(request);
    const { checked, violations, json } = checkResponse({ request, response, expectation, openapi });

    if (writes) {
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
    const sent = /** @type {any} */ (expectation.body);
    if (earlierKey && response.status === 202 && sent && earlierKey.hash === requestHash(sent.itemId, sent.quantity)) {
      checked.push('replay');
      const orderId = /** @type {any} */ (json)?.orderId;
      if (orderId !== earlierKey.orderId) violations.push({ property: 'replay', message: `the key ${earlierKey.key} first made order ${earlierKey.orderId}; its replay answered ${orderId}` });
    }
    learn({ model, ctx, expectation, response, json, earlierKey });

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
    return { plan, request, ctx, expectation, response, json, violations, requestId: response.headers['apigw-requestid'] };
  };

  const property = fc.asyncProperty(planArbitrary(operations), async (plan) => {
    const index = runIndex;
    runIndex += 1;
    const outcome = await execute(plan);
    if (stats.requests % progressEvery === 0) {
      log(`… ${stats.requests} requests, ${stats.failures.length} failing, ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
    if (outcome.violations.length === 0) return;
    lastFailure = outcome;
    if (keepGoing) {
      const report = failureReport(outcome, { seed, path: String(index), stack });
      stats.failures.push(report);
      log(report.text);
      return;
    }
    throw new Error(outcome.violations.map((violation) => `${violation.property}: ${violation.message}`).join('; '));
  });

  const details = await fc.check(property, { numRuns: runs, seed, ...(path !== undefined && { path }), endOnFailure: false });
  if (details.failed && !keepGoing) {
    const report = lastFailure
      ? failureReport(lastFailure, { seed, path: details.counterexamplePath ?? '', stack, shrinks: details.numShrinks })
      : { property: 'error', path: details.counterexamplePath ?? '', replay: '', requestId: undefined, text: `fast-check stopped: ${details.errorInstance}` };
    stats.failures.push(report);
    log(report.text);
  }
  const seconds = (performance.now() - started) / 1000;
  return { seed, runs: details.numRuns, seconds, operations: operations.map((operation) => operation.operationId), ...stats, summary: summarize({ seed, seconds, stackSeconds: stack && stack.readyMs / 1000, stats, operations, replayPath: path }) };
};

/** What the model learns from an answer: every 2xx is a fact about the system, whatever the oracle expected. */
const learn = ({ model, ctx, expectation, response, json, earlierKey }) => {
  if (response.status === undefined || response.status >= 300) return;
  const subject = ctx.caller.subject ?? '';
  switch (expectation.operationId) {
    case 'createItem':
      if (json?.id) model.addItem(json.id, json.version, model.pool.length < POOL_SIZE ? 'pool' : 'created');
      break;
    case 'updateItem':
      if (json?.id && model.items.get(json.id)?.kind !== 'order') model.setVersion(json.id, json.version);
      break;
    case 'deleteItem':
      if (expectation.pathId) model.removeItem(expectation.pathId);
      break;
    case 'placeOrder': {
      const body = expectation.body;
      if (!json?.orderId || !body) break;
      if (!earlierKey) model.addOrder(json.orderId, subject, body.itemId, body.quantity);
      if (ctx.idempotencyKey !== undefined && !earlierKey) model.addKey(subject, ctx.idempotencyKey, json.orderId, body.itemId, body.quantity);
      break;
    }
    case 'listItems':
      if (typeof json?.nextCursor === 'string') model.addCursor(json.nextCursor);
      break;
    default:
  }
};

/** The kinds of input a plan exercises, for the coverage figures: `body:raw`, `id:odd`, `token:algNone`… */
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

/** Printable bytes: text as JSON-escaped, long bodies cut. */
const preview = (buffer, limit = 600) => {
  if (!buffer || buffer.length === 0) return '(none)';
  const text = buffer.toString('utf8');
  const shown = JSON.stringify(text.length > limit ? text.slice(0, limit) : text);
  return `${buffer.length} bytes: ${shown}${text.length > limit ? ' …' : ''}`;
};

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
 * @typedef {{ property: string, path: string, replay: string, requestId: string | undefined, text: string }} FailureReport
 * @param {any} outcome
 * @param {{ seed: number, path: string, stack: any, shrinks?: number }} where
 * @returns {FailureReport}
 */
const failureReport = (outcome, { seed, path, stack, shrinks }) => {
  const { plan, request, ctx, expectation, response, violations, requestId } = outcome;
  const replay = `npm run fuzz -- --seed ${seed} --path "${path}" --runs 1`;
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

const summarize = ({ seed, seconds, stackSeconds, stats, operations, replayPath }) => {
  const routes = operations.map((operation) => {
    const counts = stats.byRoute[operation.operationId] ?? {};
    const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
    const statuses = Object.entries(counts)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([status, count]) => `${status}×${count}`)
      .join(' ');
    return `    ${`${operation.method} ${operation.path}`.padEnd(20)} ${String(total).padStart(5)}  ${statuses}`;
  });
  const properties = Object.keys(PROPERTIES)
    .filter((property) => stats.checksByProperty[property])
    .map((property) => {
      const failed = stats.failures.filter((failure) => failure.property.split(', ').includes(property)).length;
      return `    ${PROPERTIES[property]}: ${stats.checksByProperty[property]} checked${failed > 0 ? `, ${failed} FAILED` : ''}`;
    });
  return [
    `Fuzzed ${stats.requests} requests (+${stats.setupRequests} setup) over ${operations.length} routes in ${seconds.toFixed(1)} s${stackSeconds !== undefined ? ` (${stackSeconds.toFixed(1)} s of it starting the stack)` : ''}, seed ${seed}${replayPath !== undefined ? `, path "${replayPath}"` : ''}`,
    `  ${stats.propertyChecks} property checks, ${stats.failures.length} failure${stats.failures.length === 1 ? '' : 's'}; ${stats.expectedSuccess} requests should succeed, ${stats.expectedRefusal} should be refused; ${stats.tableChecks} refused writes checked against both tables`,
    `  ${stats.overGatewayLimit} bodies over the gateway's 10 MB`,
    ...(stats.parserRefusals > 0 ? [`  ${stats.parserRefusals} refused by Node's HTTP parser before the gateway (non-ASCII request line, over 16 KiB of headers): answered 400/431 in the error shape by the gateway's clientError handler`] : []),
    `  ${Object.keys(stats.coverage).length} kinds of input exercised (tokens, ids, queries, body mutations, content types, headers, methods, keys)`,
    '  by route (status×count):',
    ...routes,
    '  properties:',
    ...properties,
    ...(stats.failures.length > 0 ? ['  replay:', ...stats.failures.map((failure) => `    ${failure.replay}   # ${failure.property}`)] : []),
  ].join('\n');
};
