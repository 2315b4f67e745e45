// The fuzzing engine's own parts, without a stack and without the domain (a
// tiny fake scenario, fake-scenario.mjs): the property checks catch what they
// are for, the table check reports what changed, the generated valid requests
// are ones the oracle expects to succeed, and the limits it assumes are the
// system's.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { MAX_REQUEST_BYTES } from '@platform/local-runtime/gateway/http-gateway';
import { checkResponse, errorShapeProblem, leakIn } from '../lib/checks.mjs';
import { materialize } from '../lib/materialize.mjs';
import { createOpenApi } from '../lib/openapi.mjs';
import { expectationFor } from '../lib/oracle.mjs';
import { GATEWAY_MAX_BODY, HANDLER_MAX_BODY, planFor } from '../lib/plans.mjs';
import { categoriesOf } from '../lib/run.mjs';
import { describeChange } from '../lib/tables.mjs';
import { BAD_KINDS, kindLookup, tokenKinds } from '../lib/tokens.mjs';
import { DOCUMENT, scenario } from './fake-scenario.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * @param {number} status @param {unknown} body @param {Record<string, string>} [headers]
 * @returns {import('../lib/http-client.mjs').RawResponse}
 */
const response = (status, body, headers = {}) => ({ status, headers: { 'content-type': 'application/json', ...headers }, body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), ms: 1 });

/** @param {{ violations: Array<{ property: string }> }} result */
const failed = (result) => result.violations.map((violation) => violation.property).sort();

describe('the property checks', () => {
  const openapi = createOpenApi(DOCUMENT);
  /** @param {string} requestPath */
  const get = (requestPath) => ({ method: 'GET', path: requestPath, headers: [] });

  it('accept the error shape and nothing else', () => {
    assert.equal(errorShapeProblem({ error: { code: 'NOT_FOUND', message: 'No such thing' } }), undefined);
    assert.equal(errorShapeProblem({ error: { code: 'VALIDATION_FAILED', message: 'bad', details: [{ path: 'name', message: 'x' }] } }), undefined);
    for (const body of [{ message: 'Internal Server Error' }, { error: 'x' }, { error: { code: 'X' } }, { error: { code: 'X', message: 'm', stack: 's' } }, [], 'text', null]) {
      assert.ok(errorShapeProblem(body), JSON.stringify(body));
    }
  });

  it('find stack traces, file paths, SDK messages and echoed tokens', () => {
    assert.equal(leakIn('{"error":{"code":"NOT_FOUND","message":"No route for GET /things/..%2F..%2Fetc%2Fpasswd"}}'), undefined);
    assert.ok(leakIn('TypeError: x is undefined\n    at handler (/work/main/services/things/src/handlers/create-thing.ts:8:3)'));
    assert.ok(leakIn('failed at /var/task/index.js:1:2000'));
    assert.ok(leakIn('ConditionalCheckFailedException: The conditional request failed'));
    assert.ok(leakIn('Unexpected token } in JSON at position 12'));
    const token = 'Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJkZXZ8YWRhIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
    assert.ok(leakIn('{"error":{"code":"UNAUTHORIZED","message":"bad token eyJzdWIiOiJkZXZ8YWRhIn0"}}', [token]));
  });

  it('fail a 5xx, API Gateway’s 500 body, a wrong status, a missing challenge and an undocumented answer', () => {
    const expectation = { statuses: [200], why: 'a known thing' };
    assert.deepEqual(failed(checkResponse({ request: get('/things/x'), response: response(500, { message: 'Internal Server Error' }), expectation, openapi })), ['errorShape', 'no5xx', 'status']);
    assert.deepEqual(failed(checkResponse({ request: get('/things/x'), response: response(404, { error: { code: 'NOT_FOUND', message: 'No such resource' } }), expectation, openapi })), ['status']);
    assert.deepEqual(
      failed(
        checkResponse({
          request: { method: 'POST', path: '/things', headers: [] },
          response: response(401, { error: { code: 'UNAUTHORIZED', message: 'no token' } }),
          expectation: { statuses: [401], challenge: 'missing', why: 'no token' },
          openapi,
        }),
      ),
      ['challenge'],
    );
    assert.deepEqual(failed(checkResponse({ request: get('/things'), response: response(200, { things: [], nextCursor: 1 }), expectation, openapi })), ['openapi']);
    assert.deepEqual(failed(checkResponse({ request: get('/things'), response: response(200, { things: [], nextCursor: null }), expectation, openapi })), []);
    const timedOut = { status: undefined, headers: {}, body: Buffer.alloc(0), ms: 35_000, error: 'no answer within 35000 ms' };
    assert.deepEqual(failed(checkResponse({ request: get('/things'), response: timedOut, expectation, openapi })), ['answered']);
  });
});

describe('the table check', () => {
  /** @param {string} id @param {Record<string, unknown>} [changes] */
  const row = (id, changes = {}) => ({ pk: `THING#${id}`, sk: 'THING', id, name: 'pen', ...changes });
  const before = { things: [row('a'), row('b')], audit: [{ pk: 'AUDIT#1', sk: 'AUDIT', what: 'x' }] };

  it('finds nothing when nothing changed', () => {
    assert.equal(describeChange(before, { things: [row('a'), row('b')], audit: [{ pk: 'AUDIT#1', sk: 'AUDIT', what: 'x' }] }), undefined);
  });

  it('reports a changed, a new or a deleted row, by table', () => {
    assert.match(describeChange(before, { ...before, things: [row('a', { name: 'pencil' }), row('b')] }) ?? '', /things: row THING#a\|THING changed/);
    assert.match(describeChange(before, { ...before, things: [row('a'), row('b'), row('c')] }) ?? '', /things: new row THING#c/);
    assert.match(describeChange(before, { things: [row('b')], audit: [...before.audit, { pk: 'AUDIT#2', sk: 'AUDIT' }] }) ?? '', /row THING#a\|THING deleted[\s\S]*audit: new row AUDIT#2/);
  });
});

describe('the generator and the oracle, with a scenario', () => {
  const openapi = createOpenApi(DOCUMENT);
  const operations = openapi.operations();
  const kindOf = kindLookup(scenario.tokens.callers);
  const tokens = { authorization: async (/** @type {string} */ kind) => (kind === 'missing' ? undefined : `Bearer token-of-${kind}`) };
  const model = () => ({ things: ['t-1', 't-2'], cursors: ['eyJwayI6IlRISU5HI3QtMSJ9.c2lnbmF0dXJl'] });
  const env = () => ({ operations: new Map(operations.map((op) => [op.operationId, op])), model: model(), tokens, kindOf, nonce: 'test', hooks: scenario.materialize });

  it('reads the operations, their scopes and their body schemas from the document', () => {
    assert.deepEqual(
      operations.map(({ operationId, method, path: template, scopes }) => ({ operationId, method, template, scopes })),
      [
        { operationId: 'listThings', method: 'GET', template: '/things', scopes: undefined },
        { operationId: 'createThing', method: 'POST', template: '/things', scopes: ['things:write'] },
        { operationId: 'getThing', method: 'GET', template: '/things/{id}', scopes: undefined },
      ],
    );
    assert.equal(operations[1]?.bodySchema?.properties?.size?.maximum, 10);
  });

  it('expects every plan without a mutation to succeed, on every route', async () => {
    for (const operation of operations) {
      // Generated plans with every axis set to its valid choice, the body as the schema made it.
      const plans = fc.sample(planFor(operation, scenario), { seed: 7, numRuns: 60 }).map((plan) => ({
        ...plan,
        method: undefined,
        auth: { kind: operation.scopes === undefined ? 'missing' : 'writer' },
        id: plan.id === undefined ? undefined : { kind: 'known', index: 0 },
        query: operation.parameters.some((parameter) => parameter.in === 'query') ? { kind: /** @type {const} */ ('valid'), limit: 5, cursor: true } : { kind: /** @type {const} */ ('none') },
        body: operation.bodySchema ? { value: plan.body?.value, mutations: [] } : undefined,
        contentType: operation.bodySchema ? 'json' : 'none',
        headers: [],
        idempotencyKey: undefined,
        chunked: false,
      }));
      for (const plan of plans) {
        const sentEnv = env();
        const { request, ctx } = await materialize(plan, sentEnv);
        const expectation = expectationFor({ request, ctx, operations, openapi, model: sentEnv.model, hooks: scenario.oracle, cursors: scenario.materialize.cursors });
        assert.ok(expectation.statuses.length === 1 && (expectation.statuses[0] ?? 500) < 300, `${operation.operationId}: ${JSON.stringify(plan)} → ${JSON.stringify(expectation)}`);
      }
    }
  });

  it('works out the refusals in the order the gateway and the handler decide', async () => {
    const createThing = /** @type {import('../lib/openapi.mjs').Operation} */ (operations.find((operation) => operation.operationId === 'createThing'));
    /** @param {Partial<import('../lib/plans.mjs').Plan>} changes */
    const expect = async (changes) => {
      /** @type {import('../lib/plans.mjs').Plan} */
      const plan = { route: 'createThing', method: undefined, auth: { kind: 'writer' }, id: undefined, query: { kind: 'none' }, body: { value: { name: 'pen', owner: { $fuzz: 'email' } }, mutations: [] }, contentType: 'json', headers: [], idempotencyKey: undefined, chunked: false, ...changes };
      const sentEnv = env();
      const { request, ctx } = await materialize(plan, sentEnv);
      return expectationFor({ request, ctx, operations, openapi, model: sentEnv.model, hooks: scenario.oracle, cursors: scenario.materialize.cursors }).statuses;
    };
    assert.deepEqual(await expect({}), [201]);
    assert.deepEqual(await expect({ auth: { kind: 'missing' } }), [401]);
    assert.deepEqual(await expect({ auth: { kind: 'expired' } }), [401]);
    assert.deepEqual(await expect({ auth: { kind: 'reader' } }), [403]);
    assert.deepEqual(await expect({ body: { value: { name: 'pen' }, mutations: [{ op: 'syntax', how: 'truncate', at: 0.5 }] } }), [400]);
    assert.deepEqual(await expect({ body: { value: { name: 'pen' }, mutations: [{ op: 'pad', to: HANDLER_MAX_BODY + 1 }] } }), [413]);
    assert.deepEqual(await expect({ body: { value: { name: 'pen' }, mutations: [{ op: 'set', field: 'size', value: 11 }] } }), [422]);
    // The scenario's own decision: the owner must be the caller.
    assert.deepEqual(await expect({ body: { value: { name: 'pen', owner: 'someone@example.com' }, mutations: [] } }), [422]);
    assert.deepEqual(await expect({ route: 'getThing', auth: { kind: 'missing' }, body: undefined, contentType: 'none', id: { kind: 'absent', id: 'nothing-here' } }), [404]);
    assert.deepEqual(await expect({ route: 'listThings', auth: { kind: 'missing' }, body: undefined, contentType: 'none', query: { kind: 'pieces', pieces: ['limit=51'] } }), [400]);
    // An integer query parameter is plain decimal digits, as OpenAPI serializes it: 1e1 is not 10.
    for (const limit of ['1e1', '0x10', '+5', ' 5']) {
      assert.deepEqual(await expect({ route: 'listThings', auth: { kind: 'missing' }, body: undefined, contentType: 'none', query: { kind: 'pieces', pieces: [`limit=${encodeURIComponent(limit)}`] } }), [400], limit);
    }
    assert.deepEqual(await expect({ route: 'listThings', auth: { kind: 'missing' }, body: undefined, contentType: 'none', query: { kind: 'pieces', pieces: ['cursor={tamperedSignature}'] } }), [400]);
    assert.ok(createThing.scopes?.includes('things:write'));
  });

  it('names the kinds of input a plan exercises', () => {
    const [plan] = fc.sample(planFor(/** @type {import('../lib/openapi.mjs').Operation} */ (operations[1]), scenario), { seed: 3, numRuns: 1 });
    assert.ok(plan);
    assert.ok(categoriesOf({ ...plan, auth: { kind: 'algNone' }, chunked: true }).includes('token:algNone'));
    assert.ok(categoriesOf({ ...plan, auth: { kind: 'writer' }, chunked: true }).includes('chunked'));
  });
});

describe('the tokens', () => {
  it('know what the authorizer decides of each caller and each bad kind', () => {
    const kinds = tokenKinds(scenario.tokens.callers);
    assert.deepEqual(kinds.writer, { verdict: 'valid', scopes: ['things:write'], email: 'writer@example.com', usableEmail: true, subject: kinds.writer?.subject });
    assert.match(kinds.writer?.subject ?? '', /^dev\|/);
    assert.ok(BAD_KINDS.length >= 15);
    for (const name of BAD_KINDS) assert.notEqual(kinds[name]?.verdict, 'valid', name);
  });
});

it('assumes the body limits the handler and the gateway have', () => {
  const http = readFileSync(path.join(ROOT, 'libs/handler-kit/src/http.ts'), 'utf8');
  assert.match(http, /DEFAULT_MAX_BODY_BYTES = 16 \* 1024;/);
  assert.equal(HANDLER_MAX_BODY, 16 * 1024);
  assert.equal(GATEWAY_MAX_BODY, MAX_REQUEST_BYTES);
});
