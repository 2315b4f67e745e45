// The domain the fuzzing engine (@platform/fuzz) is run against: the catalog
// (items-api) and the orders (order-processor). What the engine cannot know
// from the OpenAPI document comes from here: the callers and their tokens,
// what the fuzzer knows of the running system (model.mjs), which ids name
// something, the handlers' rules beyond their schemas, and each route's
// decision once a request is well-formed (the oracle's last step).
//
// Items are in three sets (model.mjs): `pool` (the ones PATCH and DELETE aim
// at), `orderItems` (the ones valid orders name) and the rest POST /items
// created. Orders never name a pool item, so nothing but the fuzzer's own
// requests changes a pool item.
import fc from 'fast-check';
import { subjectFor } from '@platform/local-runtime/gateway/dev-issuer';
import { encodeEvery, pickFrom } from '@platform/fuzz/lib/materialize';
import { placeholder, weighted } from '@platform/fuzz/lib/plans';
import { anyText } from '@platform/fuzz/lib/schema-arbitrary';
import { createModel, createSnapshotter, requestHash } from './model.mjs';

/**
 * @typedef {import('./model.mjs').Model} Model
 * @typedef {import('@platform/fuzz/lib/run').FuzzScenario} FuzzScenario
 * @typedef {import('@platform/fuzz/lib/run').Outcome} Outcome
 * @typedef {import('@platform/fuzz/lib/run').Setup} Setup
 * @typedef {import('@platform/fuzz/lib/openapi').Operation} Operation
 * @typedef {import('@platform/fuzz/lib/oracle').DecideInput} DecideInput
 */

/** Pool items PATCH and DELETE aim at: refilled to POOL_SIZE when fewer than POOL_MIN are left. */
const POOL_SIZE = 6;
const POOL_MIN = 3;
const ORDER_ITEMS = 3;

/** The fuzzer's callers. Customers are identified by the subject the dev issuer derives from the email. */
export const EMAILS = {
  staff: 'fuzz-staff@example.com',
  ada: 'fuzz-ada@example.com',
  bob: 'fuzz-bob@example.com',
};

/** @type {import('@platform/fuzz/lib/tokens').Callers} */
export const TOKENS = {
  callers: {
    staff: { claims: { email: EMAILS.staff, scopes: ['items:write'] }, usableEmail: true },
    ada: { claims: { email: EMAILS.ada }, usableEmail: true },
    // The same customer, the email claim in capitals (and a lower-case scheme): the same subject, the same orders.
    adaUpper: { claims: { email: EMAILS.ada.toUpperCase(), subject: subjectFor(EMAILS.ada) }, scheme: 'bearer ', usableEmail: true },
    // No scheme at all.
    bob: { claims: { email: EMAILS.bob }, scheme: '', usableEmail: true },
    otherScope: { claims: { email: 'fuzz-reader@example.com', scopes: ['items:read'] }, usableEmail: true },
    noEmail: { claims: { subject: 'fuzz|no-email', scopes: ['items:write'] }, usableEmail: false },
    badEmail: { claims: { subject: 'fuzz|bad-email', extra: { email: 'not-an-email' } }, usableEmail: false },
  },
  privileged: 'staff',
  unprivileged: 'ada',
};

/** Characters a name may not hold (items-api's item.ts): C0/C1 controls and DEL, and a lone UTF-16 surrogate. */
// eslint-disable-next-line no-control-regex -- control characters are what it finds
const ODD_IN_NAME = /[\u0000-\u001f\u007f-\u009f]|\p{Cs}/u;

/** A name the handler accepts: 1–200 code units once trimmed, no control character or lone surrogate. */
const nameArbitrary = () =>
  fc
    .oneof(
      weighted(6, anyText({ minLength: 1, maxLength: 40 })),
      weighted(
        1,
        fc.constantFrom(' padded name ', 'x'.repeat(200), `${'y'.repeat(200)}   `, 'é'.repeat(200), '😀'.repeat(100), '\u200bzero width', 'ﬀ', 'em\u2003space', '家具', 'Ω≈ç√'),
      ),
    )
    .filter((name) => typeof name === 'string' && name.trim().length >= 1 && name.trim().length <= 200 && !ODD_IN_NAME.test(name));

/** @type {import('@platform/fuzz/lib/plans').PlanHooks} */
export const PLANS = {
  // Knowledge of each route beyond its schema, for generating valid bodies: by operationId.
  bodyOverrides: {
    createItem: { name: nameArbitrary(), description: anyText({ maxLength: 60 }) },
    updateItem: {
      expectedVersion: fc.constant(placeholder('version')),
      name: nameArbitrary(),
      description: anyText({ maxLength: 60 }),
    },
    placeOrder: {
      itemId: fc.oneof(weighted(5, fc.nat(20).map((index) => placeholder('orderItem', { index }))), weighted(1, fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/))),
      customerEmail: fc.constantFrom(placeholder('email'), placeholder('emailUpper')),
    },
  },
  // Extra rules a valid body of a route keeps (the handler's refinements).
  bodyFilters: {
    updateItem: (body) => ['name', 'description', 'priceCents', 'stock'].some((key) => key in body),
  },
  /** Public routes: anyone; items:write routes: staff; order routes: any customer (or staff). */
  auth: (operation) => {
    if (operation.scopes === undefined) return { good: ['ada', 'staff'], wrongButValid: [] };
    if (operation.scopes.length > 0) return { good: ['staff'], wrongButValid: ['ada', 'otherScope', 'noEmail'] };
    return { good: ['ada', 'bob', 'adaUpper', 'staff'], wrongButValid: ['noEmail', 'badEmail', 'otherScope'] };
  },
  /** An order of the caller's own, another customer's, an item's id; a pool item, an order item (reads only), a deleted one. */
  idKinds: (operation) =>
    operation.path.startsWith('/orders')
      ? [
          [100, 'mine'],
          [30, 'others'],
          [10, 'item'],
          [10, 'encodedMine'],
        ]
      : [[100, 'pool'], ...(operation.method === 'GET' ? /** @type {Array<[number, string]>} */ ([[20, 'orderItem']]) : []), [20, 'deleted'], [10, 'encodedPool']],
  // The items table's key prefix, in a value and in a path id.
  hostileStrings: ['ITEM#x'],
  oddSegments: ['ITEM%23x'],
  // Fields the API sets itself.
  extraKeys: ['customerId', 'status', 'reason'],
};

/** @param {Model} model @param {import('@platform/fuzz/lib/materialize').IdEnv} env */
const anyPoolId = (model, { index }) => pickFrom(model.pool, index) ?? 'no-item-yet';
/** @param {Model} model @param {import('@platform/fuzz/lib/materialize').IdEnv} env */
const anyOwnId = (model, { subject, index }) => pickFrom(model.ordersOf(subject), index) ?? pickFrom([...model.orders.keys()], index) ?? 'no-order-yet';

/** @type {import('@platform/fuzz/lib/materialize').MaterializeHooks} */
export const MATERIALIZE = {
  id: (kind, env) => {
    /** @type {Model} */
    const model = env.model;
    const { subject, index } = env;
    switch (kind) {
      case 'pool': {
        const id = anyPoolId(model, env);
        return { segment: id, targetId: id };
      }
      case 'orderItem':
        return { segment: pickFrom(model.orderItems, index) ?? 'no-order-item' };
      case 'deleted':
        return { segment: pickFrom(model.deleted, index) ?? 'never-deleted' };
      case 'encodedPool': {
        const id = anyPoolId(model, env);
        return { segment: encodeEvery(id), targetId: id };
      }
      case 'mine':
        return { segment: pickFrom(model.ordersOf(subject), index) ?? anyOwnId(model, env) };
      case 'encodedMine':
        return { segment: encodeEvery(pickFrom(model.ordersOf(subject), index) ?? anyOwnId(model, env)) };
      case 'others':
        return { segment: pickFrom(model.ordersNotOf(subject), index) ?? 'no-other-order' };
      case 'item':
        return { segment: anyPoolId(model, env) };
      default:
        return undefined;
    }
  },
  someId: (route, env) => (route.includes('Order') ? anyOwnId(env.model, env) : anyPoolId(env.model, env)),
  placeholders: {
    version: (_node, { model, targetId }) => (targetId && /** @type {Model} */ (model).versionOf(targetId)) ?? 1,
    email: (_node, { caller }) => caller.email ?? EMAILS.ada,
    emailUpper: (_node, { caller }) => (caller.email ?? EMAILS.ada).toUpperCase(),
    orderItem: (node, { model }) => pickFrom(/** @type {Model} */ (model).orderItems, node.index) ?? 'no-order-item',
  },
  keysOf: (model, subject) => /** @type {Model} */ (model).keysOf(subject).map((record) => ({ ...record, replay: { itemId: record.itemId, quantity: record.quantity } })),
  cursors: (model) => /** @type {Model} */ (model).cursors,
};

/** Uploads an item may have pending at once (items-api's ItemImages). */
const PENDING_UPLOADS = 3;

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * A copy with `name` trimmed, as zod's `.trim()` does before it checks the length; own keys such as __proto__ kept.
 * @param {unknown} body
 */
const trimmed = (body) => {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const copy = {};
  for (const [key, value] of Object.entries(body)) {
    Object.defineProperty(copy, key, { value: key === 'name' && typeof value === 'string' ? value.trim() : value, enumerable: true, writable: true, configurable: true });
  }
  return copy;
};

/**
 * Each route's decision once the request is well-formed, by operationId: the status, from what the model knows.
 * @type {Record<string, (input: DecideInput & { model: Model }) => { status: number, why: string }>}
 */
export const DOMAIN = {
  createItem: () => ({ status: 201, why: 'a valid item' }),
  listItems: () => ({ status: 200, why: 'a valid listing' }),
  getItem: ({ id, model }) => (model.itemExists(id ?? '') ? { status: 200, why: 'an existing item' } : { status: 404, why: 'no such item' }),
  updateItem: ({ id, body, model }) => {
    if (!model.itemExists(id ?? '')) return { status: 404, why: 'no such item' };
    if (body.expectedVersion !== model.versionOf(id ?? '')) return { status: 409, why: `expectedVersion ${body.expectedVersion} is not the current ${model.versionOf(id ?? '')}` };
    return { status: 200, why: 'a valid change at the current version' };
  },
  deleteItem: ({ id, model }) => (model.itemExists(id ?? '') ? { status: 204, why: 'an existing item' } : { status: 404, why: 'no such item' }),
  createImageUpload: ({ id, model }) => {
    if (!model.itemExists(id ?? '')) return { status: 404, why: 'no such item' };
    const pending = model.pendingUploads(id ?? '');
    return pending >= PENDING_UPLOADS ? { status: 429, why: `${pending} uploads already pending` } : { status: 201, why: 'an upload for an existing item' };
  },
  placeOrder: ({ body, event, caller, model }) => {
    if (!caller.usableEmail) return { status: 403, why: 'the token has no usable email claim' };
    const key = event.headers['idempotency-key'];
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) return { status: 422, why: 'a malformed Idempotency-Key' };
    if (body.customerEmail !== undefined && body.customerEmail.toLowerCase() !== (caller.email ?? '').toLowerCase()) {
      return { status: 422, why: 'customerEmail is not the token’s email' };
    }
    if (key !== undefined) {
      const earlier = model.keyOf(caller.subject ?? '', key);
      if (earlier && earlier.hash !== requestHash(body.itemId, body.quantity)) return { status: 409, why: 'the Idempotency-Key was used with another body' };
      if (earlier) return { status: 202, why: 'a replay of an earlier order' };
    }
    return { status: 202, why: 'a valid order' };
  },
  getOrder: ({ id, caller, model }) => {
    if (!caller.usableEmail) return { status: 403, why: 'the token has no usable email claim' };
    return model.ownerOf(id ?? '') === caller.subject ? { status: 200, why: 'the caller’s own order' } : { status: 404, why: 'not the caller’s order' };
  },
};

/** @type {import('@platform/fuzz/lib/oracle').OracleHooks} */
export const ORACLE = {
  decide: DOMAIN,
  normalize: trimmed,
  bodyRules: {
    updateItem: (body) => ['name', 'description', 'priceCents', 'stock'].some((key) => body[key] !== undefined),
  },
};

/**
 * @param {Setup} setup @param {'pool' | 'order'} kind @param {number} stock
 */
const createItem = async ({ must, model }, kind, stock) => {
  const item = await must('POST', '/items', { caller: 'staff', body: { name: `fuzz ${kind} item`, priceCents: 100, stock } });
  /** @type {Model} */ (model).addItem(item.id, item.version, kind);
};

/** Refills the pool when it runs low, and keeps a real cursor at hand. @param {Setup} setup */
const replenish = async (setup) => {
  /** @type {Model} */
  const model = setup.model;
  let wrote = false;
  if (model.pool.length < POOL_MIN) {
    while (model.pool.length < POOL_SIZE) await createItem(setup, 'pool', 10);
    wrote = true;
  }
  if (model.cursors.length === 0) {
    const page = await setup.must('GET', '/items?limit=1');
    if (page.nextCursor) model.addCursor(page.nextCursor);
  }
  return wrote;
};

/**
 * Seed: items of both kinds, a few orders of three customers, one with an Idempotency-Key, a cursor.
 * @param {Setup} setup
 */
const seed = async (setup) => {
  /** @type {Model} */
  const model = setup.model;
  for (let index = 0; index < ORDER_ITEMS; index += 1) await createItem(setup, 'order', 1_000_000);
  await replenish(setup);
  for (const [kind, count] of /** @type {const} */ ([['ada', 2], ['bob', 2], ['staff', 1]])) {
    for (let index = 0; index < count; index += 1) {
      const itemId = model.orderItems[index % model.orderItems.length] ?? '';
      const order = await setup.must('POST', '/orders', { caller: kind, body: { itemId, quantity: 1 } });
      model.addOrder(order.orderId, setup.kindOf(kind).subject ?? '', itemId, 1);
    }
  }
  const key = `${setup.nonce}.seed`;
  const itemId = model.orderItems[0] ?? '';
  const { status, json: order } = await setup.call('POST', '/orders', { caller: 'ada', body: { itemId, quantity: 2 }, headers: ['idempotency-key', key] });
  if (status !== 202) throw new Error(`Setup order with an Idempotency-Key answered ${status}`);
  const ada = setup.kindOf('ada').subject ?? '';
  model.addOrder(order.orderId, ada, itemId, 2);
  model.addKey(ada, key, order.orderId, itemId, 2);
  return `${model.pool.length} pool items, ${model.orderItems.length} order items, ${model.orders.size} orders`;
};

/** The caller's earlier use of the request's Idempotency-Key, if any. @param {Outcome} outcome */
const earlierKeyOf = ({ ctx, model }) => (ctx.idempotencyKey !== undefined ? /** @type {Model} */ (model).keyOf(ctx.caller.subject ?? '', ctx.idempotencyKey) : undefined);

/** A replayed Idempotency-Key answers the first order. @param {Outcome} outcome */
const check = (outcome) => {
  const { expectation, response, json } = outcome;
  const earlierKey = earlierKeyOf(outcome);
  const sent = /** @type {any} */ (expectation.body);
  if (!(earlierKey && response.status === 202 && sent && earlierKey.hash === requestHash(sent.itemId, sent.quantity))) return [];
  const orderId = json?.orderId;
  return [{ property: 'replay', ...(orderId !== earlierKey.orderId && { problem: `the key ${earlierKey.key} first made order ${earlierKey.orderId}; its replay answered ${orderId}` }) }];
};

/** What the model learns from an answer: every 2xx is a fact about the system, whatever the oracle expected. @param {Outcome} outcome */
const learn = (outcome) => {
  const { ctx, expectation, response, json } = outcome;
  /** @type {Model} */
  const model = outcome.model;
  if (response.status === undefined || response.status >= 300) return;
  const earlierKey = earlierKeyOf(outcome);
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
    case 'createImageUpload':
      if (expectation.pathId && typeof json?.upload?.expiresAt === 'string') model.addUpload(expectation.pathId, json.upload.expiresAt);
      break;
    case 'placeOrder': {
      const body = /** @type {any} */ (expectation.body);
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

/** The catalog and orders, as the fuzzing engine takes them. @type {FuzzScenario} */
export const scenario = {
  tokens: TOKENS,
  createModel,
  createSnapshotter,
  seed,
  replenish,
  learn,
  check,
  properties: { replay: 'a replayed Idempotency-Key answers the first order' },
  plans: PLANS,
  materialize: MATERIALIZE,
  oracle: ORACLE,
};
