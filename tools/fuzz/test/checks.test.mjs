// The fuzzer's own parts, without a stack: the property checks catch what they
// are for, the generated valid requests are ones the oracle expects to
// succeed, and the limits it assumes are the system's.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { MAX_REQUEST_BYTES } from '@platform/local-runtime/gateway/http-gateway';
import { generateOpenApi } from '@platform/openapi/generate';
import { checkResponse, errorShapeProblem, leakIn } from '../lib/checks.mjs';
import { materialize } from '../lib/materialize.mjs';
import { createModel, describeChange, project } from '../lib/model.mjs';
import { createOpenApi } from '../lib/openapi.mjs';
import { DOMAIN, expectationFor } from '../lib/oracle.mjs';
import { GATEWAY_MAX_BODY, HANDLER_MAX_BODY, planFor } from '../lib/plans.mjs';
import { tokenKind } from '../lib/tokens.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** @returns {import('../lib/http-client.mjs').RawResponse} */
const response = (status, body, headers = {}) => ({ status, headers: { 'content-type': 'application/json', ...headers }, body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), ms: 1 });

describe('the property checks', () => {
  let openapi;
  before(async () => {
    openapi = createOpenApi((await generateOpenApi({ write: false })).merged);
  });
  const get = (requestPath) => ({ method: 'GET', path: requestPath, headers: [] });

  it('accept the error shape and nothing else', () => {
    assert.equal(errorShapeProblem({ error: { code: 'NOT_FOUND', message: 'No such item' } }), undefined);
    assert.equal(errorShapeProblem({ error: { code: 'VALIDATION_FAILED', message: 'bad', details: [{ path: 'name', message: 'x' }] } }), undefined);
    for (const body of [{ message: 'Internal Server Error' }, { error: 'x' }, { error: { code: 'X' } }, { error: { code: 'X', message: 'm', stack: 's' } }, [], 'text', null]) {
      assert.ok(errorShapeProblem(body), JSON.stringify(body));
    }
  });

  it('find stack traces, file paths, SDK messages and echoed tokens', () => {
    assert.equal(leakIn('{"error":{"code":"NOT_FOUND","message":"No route for GET /items/..%2F..%2Fetc%2Fpasswd"}}'), undefined);
    assert.ok(leakIn('TypeError: x is undefined\n    at handler (/work/main/services/items-api/src/handlers/create-item.ts:8:3)'));
    assert.ok(leakIn('failed at /var/task/index.js:1:2000'));
    assert.ok(leakIn('ConditionalCheckFailedException: The conditional request failed'));
    assert.ok(leakIn('Unexpected token } in JSON at position 12'));
    const token = 'Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJkZXZ8YWRhIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
    assert.ok(leakIn('{"error":{"code":"UNAUTHORIZED","message":"bad token eyJzdWIiOiJkZXZ8YWRhIn0"}}', [token]));
  });

  it('fail a 5xx, API Gateway’s 500 body, a wrong status, a missing challenge and an undocumented answer', () => {
    const expectation = { statuses: [200], why: 'an existing item' };
    const failed = (result) => result.violations.map((violation) => violation.property).sort();
    assert.deepEqual(failed(checkResponse({ request: get('/items/x'), response: response(500, { message: 'Internal Server Error' }), expectation, openapi })), [
      'errorShape',
      'no5xx',
      'status',
    ]);
    assert.deepEqual(failed(checkResponse({ request: get('/items/x'), response: response(404, { error: { code: 'NOT_FOUND', message: 'No such resource' } }), expectation, openapi })), [
      'status',
    ]);
    assert.deepEqual(
      failed(
        checkResponse({
          request: { method: 'POST', path: '/orders', headers: [] },
          response: response(401, { error: { code: 'UNAUTHORIZED', message: 'no token' } }),
          expectation: { statuses: [401], challenge: 'missing', why: 'no token' },
          openapi,
        }),
      ),
      ['challenge'],
    );
    assert.deepEqual(failed(checkResponse({ request: get('/items'), response: response(200, { items: [], nextCursor: 1 }), expectation, openapi })), ['openapi']);
    assert.deepEqual(failed(checkResponse({ request: get('/items'), response: response(200, { items: [], nextCursor: null }), expectation, openapi })), []);
    const timedOut = { status: undefined, headers: {}, body: Buffer.alloc(0), ms: 35_000, error: 'no answer within 35000 ms' };
    assert.deepEqual(failed(checkResponse({ request: get('/items'), response: timedOut, expectation, openapi })), ['answered']);
  });
});

describe('the table check', () => {
  const model = createModel();
  model.addItem('p1', 1, 'pool');
  model.addItem('o1', 1, 'order');
  const item = (id, changes = {}) => ({ pk: `ITEM#${id}`, sk: 'ITEM', id, name: 'pen', priceCents: 1, stock: 5, version: 1, createdAt: 't0', updatedAt: 't0', correlationId: 'c', ...changes });
  const order = (changes = {}) => ({ pk: 'ORDER#a', sk: 'ORDER', id: 'a', itemId: 'o1', quantity: 1, customerId: 'ada', customerEmail: 'a@x.io', status: 'PENDING', createdAt: 't0', updatedAt: 't0', ...changes });
  const reservation = { pk: 'RESERVATION#a', sk: 'RESERVATION', orderId: 'a', itemId: 'o1', quantity: 1, status: 'RESERVED' };
  const before = project([item('p1'), item('o1')], [order()], model);

  it('ignores what the order saga changes meanwhile', () => {
    const sagaMoved = project([item('p1'), item('o1', { stock: 4, version: 2, updatedAt: 't1', correlationId: 'd' }), reservation], [order({ status: 'CONFIRMED', updatedAt: 't1' })], model);
    assert.equal(describeChange(before, sagaMoved), undefined);
  });

  it('reports a changed, a new or a deleted row', () => {
    assert.match(describeChange(before, project([item('p1', { stock: 4 }), item('o1')], [order()], model)) ?? '', /items: row ITEM#p1\|ITEM changed/);
    assert.match(describeChange(before, project([item('p1'), item('o1'), item('n1')], [order()], model)) ?? '', /items: new row ITEM#n1/);
    assert.match(describeChange(before, project([item('o1')], [order(), { pk: 'IDEMPOTENCY#k', sk: 'IDEMPOTENCY', orderId: 'b' }], model)) ?? '', /row ITEM#p1\|ITEM deleted[\s\S]*orders: new row IDEMPOTENCY#k/);
    assert.match(describeChange(before, project([item('p1'), item('o1', { name: 'pencil' })], [order()], model)) ?? '', /ITEM#o1\|ITEM changed/);
  });
});

describe('the generator and the oracle', () => {
  let openapi;
  let operations;
  before(async () => {
    openapi = createOpenApi((await generateOpenApi({ write: false })).merged);
    operations = openapi.operations();
  });

  /** A model as the run seeds it, with made-up ids. */
  const seededModel = () => {
    const model = createModel();
    for (let index = 0; index < 6; index += 1) model.addItem(`pool-${index}`, 1 + index, 'pool');
    for (let index = 0; index < 3; index += 1) model.addItem(`order-item-${index}`, 1, 'order');
    for (const kind of ['ada', 'bob', 'staff']) model.addOrder(`order-${kind}`, tokenKind(kind).subject ?? '', 'order-item-0', 1);
    model.addCursor('eyJwayI6IklURU0jcG9vbC0wIn0.c2lnbmF0dXJl');
    return model;
  };
  const tokens = { authorization: async (kind) => (kind === 'missing' ? undefined : `Bearer token-of-${kind}`) };

  it('has a domain model of every operation in the document', () => {
    assert.deepEqual(operations.map((operation) => operation.operationId).filter((id) => !DOMAIN[id]), []);
  });

  it('expects every plan without a mutation to succeed, on every route', async () => {
    for (const operation of operations) {
      // Generated plans with every axis set to its valid choice, the body as the schema made it.
      const plans = fc.sample(planFor(operation), { seed: 7, numRuns: 60 }).map((plan) => ({
        ...plan,
        auth: { kind: operation.scopes === undefined ? 'missing' : operation.scopes.length > 0 ? 'staff' : 'ada' },
        id: plan.id === undefined ? undefined : { kind: operation.path.startsWith('/orders') ? 'mine' : 'pool', index: 0 },
        query: operation.parameters.some((parameter) => parameter.in === 'query') ? { kind: 'valid', limit: 5, cursor: true } : { kind: 'none' },
        body: operation.bodySchema ? { value: /** @type {any} */ (plan.body).value, mutations: [] } : undefined,
        contentType: operation.bodySchema ? 'json' : 'none',
        headers: [],
        idempotencyKey: plan.idempotencyKey === undefined ? undefined : { kind: 'none' },
      }));
      for (const plan of plans) {
        const model = seededModel();
        const { request, ctx } = await materialize(plan, { operations: new Map(operations.map((op) => [op.operationId, op])), model, tokens, nonce: 'test' });
        const expectation = expectationFor({ request, ctx, operations, openapi, model });
        assert.ok(expectation.statuses.length === 1 && (expectation.statuses[0] ?? 500) < 300, `${operation.operationId}: ${JSON.stringify(plan)} → ${JSON.stringify(expectation)}`);
      }
    }
  });

  it('assumes the body limits the handler and the gateway have', () => {
    const http = readFileSync(path.join(ROOT, 'libs/handler-kit/src/http.ts'), 'utf8');
    assert.match(http, /DEFAULT_MAX_BODY_BYTES = 16 \* 1024;/);
    assert.equal(HANDLER_MAX_BODY, 16 * 1024);
    assert.equal(GATEWAY_MAX_BODY, MAX_REQUEST_BYTES);
  });
});
