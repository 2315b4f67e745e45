// The catalog and orders scenario of the fuzzer, without a stack: the table
// check ignores what the order saga changes, the scenario has a decision for
// every operation of the services' merged OpenAPI document, and every
// generated valid request is one the oracle expects to succeed.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { generateOpenApi } from '@platform/openapi/generate';
import { materialize } from '@platform/fuzz/lib/materialize';
import { createOpenApi } from '@platform/fuzz/lib/openapi';
import { expectationFor } from '@platform/fuzz/lib/oracle';
import { planFor } from '@platform/fuzz/lib/plans';
import { describeChange } from '@platform/fuzz/lib/tables';
import { kindLookup } from '@platform/fuzz/lib/tokens';
import { createModel, project } from '../lib/model.mjs';
import { DOMAIN, scenario } from '../lib/scenario.mjs';

const kindOf = kindLookup(scenario.tokens.callers);

describe('the table check', () => {
  const model = createModel();
  model.addItem('p1', 1, 'pool');
  model.addItem('o1', 1, 'order');
  /** @param {string} id @param {Record<string, unknown>} [changes] */
  const item = (id, changes = {}) => ({ pk: `ITEM#${id}`, sk: 'ITEM', id, name: 'pen', priceCents: 1, stock: 5, version: 1, createdAt: 't0', updatedAt: 't0', correlationId: 'c', ...changes });
  /** @param {Record<string, unknown>} [changes] */
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
  /** @type {ReturnType<typeof createOpenApi>} */
  let openapi;
  /** @type {import('@platform/fuzz/lib/openapi').Operation[]} */
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
    for (const kind of ['ada', 'bob', 'staff']) model.addOrder(`order-${kind}`, kindOf(kind).subject ?? '', 'order-item-0', 1);
    model.addCursor('eyJwayI6IklURU0jcG9vbC0wIn0.c2lnbmF0dXJl');
    return model;
  };
  const tokens = { authorization: async (/** @type {string} */ kind) => (kind === 'missing' ? undefined : `Bearer token-of-${kind}`) };

  it('has a domain model of every operation in the document', () => {
    assert.deepEqual(operations.map((operation) => operation.operationId).filter((id) => !DOMAIN[id]), []);
  });

  it('expects every plan without a mutation to succeed, on every route', async () => {
    for (const operation of operations) {
      // Generated plans with every axis set to its valid choice, the body as the schema made it.
      const plans = fc.sample(planFor(operation, scenario), { seed: 7, numRuns: 60 }).map((plan) => ({
        ...plan,
        auth: { kind: operation.scopes === undefined ? 'missing' : operation.scopes.length > 0 ? 'staff' : 'ada' },
        id: plan.id === undefined ? undefined : { kind: operation.path.startsWith('/orders') ? 'mine' : 'pool', index: 0 },
        query: operation.parameters.some((parameter) => parameter.in === 'query') ? { kind: /** @type {const} */ ('valid'), limit: 5, cursor: true } : { kind: /** @type {const} */ ('none') },
        body: operation.bodySchema ? { value: plan.body?.value, mutations: [] } : undefined,
        contentType: operation.bodySchema ? 'json' : 'none',
        headers: [],
        idempotencyKey: plan.idempotencyKey === undefined ? undefined : { kind: 'none' },
      }));
      for (const plan of plans) {
        const model = seededModel();
        const env = { operations: new Map(operations.map((op) => [op.operationId, op])), model, tokens, kindOf, nonce: 'test', hooks: scenario.materialize };
        const { request, ctx } = await materialize(plan, env);
        const expectation = expectationFor({ request, ctx, operations, openapi, model, hooks: scenario.oracle, cursors: scenario.materialize.cursors });
        assert.ok(expectation.statuses.length === 1 && (expectation.statuses[0] ?? 500) < 300, `${operation.operationId}: ${JSON.stringify(plan)} → ${JSON.stringify(expectation)}`);
      }
    }
  });
});
