// The soak: many orders over a few items through the whole saga, while staff
// restock (PATCH with expectedVersion, retried on 409 with a fresh GET) and
// delete some items, and customers retry POSTs with their Idempotency-Keys.
// Then the tables are read back and every invariant of issue 11 is checked:
// see checkInvariants below. Shared by `npm run soak`, `npm run faults` and
// the bounded test.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { scanTable } from '@platform/testing/scan-table';
import { localClientConfig } from '@platform/local-runtime/aws';
import { backoffMs, createAgent, request } from '@platform/bench/lib/http-client';
import { createRandom } from '@platform/bench/lib/random';
import { sleep } from '@platform/bench/lib/stats';
import { loadDevIssuer } from '@platform/local-runtime/gateway/dev-issuer';
import { listDeadLetterQueues, localTarget } from '@platform/dlq/lib/index';

export const ITEMS_TABLE = 'items-api-local-items';
export const ORDERS_TABLE = 'order-processor-local-orders';
export const NOTIFICATIONS_TABLE = 'notifier-local-notifications';

/**
 * A client retries a failed request up to this many times, backing off (backoffMs: 0.5 s doubling
 * to 8 s, about 2 minutes in all), longer than an outage the fault runs inject. The run is
 * repeatable from its seed (createRandom).
 */
const MAX_RETRIES = 20;
/** The share of requests a soak tolerates answered `503` + Retry-After (retried by their clients); any other 5xx is a violation. */
export const MAX_UNAVAILABLE_SHARE = 0.02;

/**
 * @typedef {{ id: string, initial: number, restocked: number, restocks: number, ambiguous: number[], deleteStartedAt?: number, deletedAt?: number, seenStocks: number[] }} ItemState
 *   ambiguous: restocks answered with a 5xx or no answer, which may or may not have happened
 * @typedef {{ index: number, key: string, itemId: string, quantity: number, customer: number, orderId?: string, status: number, retries: number }} OrderState
 * @typedef {{ at: number, what: string, status: number, ms: number, body: string, retryAfter?: string, requestId?: string, error?: string }} Failure
 */

/**
 * The answer an API function gives when a dependency is throttled, down or
 * too slow: a 503 in the API's own shape, saying when to retry. Anything else
 * (the gateway's `{"message": …}` 500 of a function that timed out or
 * crashed, a 502, a 504) means the function lost the request's outcome.
 * @param {{ status: number, body: string, retryAfter?: string }} failure
 */
export const isApiUnavailable = (failure) => {
  if (failure.status !== 503 || !/^\d+$/.test(failure.retryAfter ?? '')) return false;
  try {
    return JSON.parse(failure.body)?.error?.code === 'TEMPORARILY_UNAVAILABLE';
  } catch {
    return false;
  }
};

/**
 * Runs the workload against a running stack.
 * @param {{ apiUrl: string, orders: number, items: number, seed: number, concurrency?: number, deletes?: number,
 *   timeoutMs?: number, log?: (line: string) => void, tolerateFailures?: boolean }} options
 *   tolerateFailures: a failed request (5xx, no answer) is recorded and the workload goes on (the fault runs);
 *   otherwise it is recorded too, and the caller counts it as a violation.
 */
export const runWorkload = async ({ apiUrl, orders: orderCount, items: itemCount, seed, concurrency = 6, deletes, timeoutMs = 35_000, log = () => {} }) => {
  const random = createRandom(seed);
  const issuer = await loadDevIssuer();
  const staff = { authorization: `Bearer ${await issuer.sign({ email: 'soak-staff@example.com', scopes: ['items:write'], expiresInSeconds: 6 * 3600 })}` };
  const customers = await Promise.all(
    Array.from({ length: 5 }, async (_, i) => ({ authorization: `Bearer ${await issuer.sign({ email: `soak-customer-${i}@example.com`, expiresInSeconds: 6 * 3600 })}` })),
  );
  const agent = createAgent();
  /** @type {Failure[]} */
  const failures = [];
  /** @type {Record<string, number>} */
  const statuses = {};
  /** @param {string} what @param {{ method: string, path: string, body?: unknown, headers?: Record<string, string> }} options */
  const call = async (what, options) => {
    const answer = await request({ baseUrl: apiUrl, agent, timeoutMs, ...options });
    const key = answer.timedOut ? 'hang' : answer.status === 0 ? `no answer (${answer.error})` : String(answer.status);
    statuses[key] = (statuses[key] ?? 0) + 1;
    if (answer.status === 0 || answer.status >= 500) failures.push({ at: Date.now(), what, status: answer.status, ms: answer.ms, body: answer.text.slice(0, 200), retryAfter: answer.retryAfter, requestId: answer.requestId, error: answer.error });
    return answer;
  };

  // Items: stock small enough that some orders find none.
  /** @type {ItemState[]} */
  const items = [];
  for (let i = 0; i < itemCount; i += 1) {
    const initial = random.int(5, 25);
    for (let attempt = 0; ; attempt += 1) {
      const answer = await call('POST /items', { method: 'POST', path: '/items', body: { name: `soak item ${i}`, priceCents: 100 + i, stock: initial }, headers: staff });
      if (answer.status === 201 && answer.json?.id) {
        items.push({ id: answer.json.id, initial, restocked: 0, restocks: 0, ambiguous: [], seenStocks: [initial] });
        break;
      }
      if (attempt >= 10) throw new Error(`POST /items failed while setting up: ${answer.status} ${answer.error ?? answer.text.slice(0, 200)}`);
      await sleep(1000);
    }
  }
  const deleteCount = deletes ?? Math.max(1, Math.round(itemCount / 10));
  const toDelete = items.slice(0, deleteCount);

  /** @type {OrderState[]} */
  const orders = Array.from({ length: orderCount }, (_, index) => ({
    index,
    key: `soak-${seed}-${index}`,
    itemId: /** @type {ItemState} */ (items[random.int(0, items.length - 1)]).id,
    quantity: random.int(1, 3),
    customer: random.int(0, customers.length - 1),
    retries: random.next() < 0.1 ? random.int(1, 2) : 0,
    status: 0,
  }));
  let placed = 0;
  let idempotentRetries = 0;
  /** @type {string[]} */
  const idempotencyProblems = [];
  let ordersDone = false;

  /** @param {OrderState} order */
  const post = (order) =>
    call('POST /orders', {
      method: 'POST',
      path: '/orders',
      body: { itemId: order.itemId, quantity: order.quantity },
      headers: { ...customers[order.customer], 'idempotency-key': order.key },
    });

  /** @param {OrderState} order */
  const placeOrder = async (order) => {
    const first = post(order);
    // Some retries race the first POST, the others follow it.
    const racing = order.retries > 1 ? post(order) : undefined;
    const answers = [await first, ...(racing ? [await racing] : [])];
    if (order.retries === 1) answers.push(await post(order));
    // A client retries a failed POST with its key until it gets an answer, backing off:
    // an outage outlasts a few quick retries, and a POST whose answer was lost may have
    // created the order, which only the key finds.
    for (let attempt = 0; !answers.some((a) => a.status === 202) && attempt < MAX_RETRIES; attempt += 1) {
      await sleep(backoffMs(attempt));
      answers.push(await post(order));
    }
    idempotentRetries += answers.length - 1;
    const accepted = answers.filter((a) => a.status === 202);
    order.status = accepted.length > 0 ? 202 : (answers.at(-1)?.status ?? 0);
    const ids = new Set(accepted.map((a) => a.json?.orderId ?? a.json?.id));
    if (ids.size > 1) idempotencyProblems.push(`Idempotency-Key ${order.key} answered ${ids.size} orders: ${[...ids].join(', ')}`);
    order.orderId = [...ids][0];
    for (const a of answers) {
      if (a.status !== 202 && a.status < 500 && a.status !== 0) idempotencyProblems.push(`POST /orders (key ${order.key}) answered ${a.status} ${a.text.slice(0, 200)}`);
    }
    placed += 1;
  };

  /** One staff member restocking: GET, PATCH at that version, again on a 409. */
  const restocker = async () => {
    while (!ordersDone) {
      const item = /** @type {ItemState} */ (items[random.int(0, items.length - 1)]);
      const add = random.int(1, 5);
      for (let attempt = 0; attempt < 10 && !ordersDone; attempt += 1) {
        const current = await call('GET /items/{id}', { method: 'GET', path: `/items/${item.id}` });
        if (current.status === 404) break;
        if (current.status !== 200) {
          await sleep(300);
          continue;
        }
        item.seenStocks.push(current.json.stock);
        const patched = await call('PATCH /items/{id}', {
          method: 'PATCH',
          path: `/items/${item.id}`,
          body: { expectedVersion: current.json.version, stock: current.json.stock + add },
          headers: staff,
        });
        if (patched.status === 200) {
          item.restocked += add;
          item.restocks += 1;
          item.seenStocks.push(patched.json.stock);
          break;
        }
        if (patched.status === 0 || patched.status >= 500) item.ambiguous.push(add);
        if (patched.status !== 409) break; // 404: deleted meanwhile; 5xx: recorded, and may or may not have happened
      }
      await sleep(random.int(20, 120));
    }
  };

  /** Deletes spread over the run: each when its share of the orders is placed. */
  const deleter = async () => {
    for (const [i, item] of toDelete.entries()) {
      const when = Math.floor(((i + 1) * orderCount) / (toDelete.length + 2));
      while (placed < when && !ordersDone) await sleep(50);
      item.deleteStartedAt = Date.now();
      let answer = await call('DELETE /items/{id}', { method: 'DELETE', path: `/items/${item.id}`, headers: staff });
      // Retried while the API is failing, backing off as placeOrder does. A 404 after a
      // failure means the failed attempt deleted it (its answer lost): deleted by now.
      for (let attempt = 0; (answer.status === 0 || answer.status >= 500) && attempt < MAX_RETRIES; attempt += 1) {
        await sleep(backoffMs(attempt));
        answer = await call('DELETE /items/{id}', { method: 'DELETE', path: `/items/${item.id}`, headers: staff });
        if (answer.status === 404) answer = { ...answer, status: 204 };
      }
      if (answer.status === 204) item.deletedAt = Date.now();
      else idempotencyProblems.push(`DELETE /items/${item.id} answered ${answer.status} ${answer.text.slice(0, 200)}`);
      log(`deleted item ${item.id} after ${placed} orders (${answer.status})`);
    }
  };

  const started = Date.now();
  let next = 0;
  const progress = setInterval(() => log(`${placed}/${orderCount} orders placed`), 5000);
  const helpers = [restocker(), restocker(), deleter()];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < orders.length) await placeOrder(/** @type {OrderState} */ (orders[next++]));
    }),
  );
  ordersDone = true;
  await Promise.all(helpers);
  clearInterval(progress);
  agent.destroy();
  return { items, orders, placedMs: Date.now() - started, idempotentRetries, idempotencyProblems, failures, statuses };
};

/**
 * Waits until every accepted order is decided (no progress for stallMs, or capMs, ends the wait),
 * then until each decided order has its SENT notification.
 * @param {{ dynamodb: DynamoDBClient, orderIds: Set<string>, stallMs?: number, capMs?: number, log?: (line: string) => void }} options
 */
export const waitForOutcomes = async ({ dynamodb, orderIds, stallMs = 90_000, capMs = 600_000, log = () => {} }) => {
  const started = Date.now();
  let last = -1;
  let lastChange = Date.now();
  const count = async () => {
    const decided = (await scanTable(dynamodb, ORDERS_TABLE)).filter((r) => orderIds.has(r.id) && r.status !== 'PENDING').length;
    const sent = new Set((await scanTable(dynamodb, NOTIFICATIONS_TABLE)).filter((r) => r.status === 'SENT' && orderIds.has(r.orderId)).map((r) => r.orderId)).size;
    return { decided, sent };
  };
  for (;;) {
    let figures;
    try {
      figures = await count();
    } catch (error) {
      log(`reading the tables failed (${/** @type {Error} */ (error).message}); again shortly`);
      await sleep(1000);
      continue;
    }
    const { decided, sent } = figures;
    if (decided === orderIds.size && sent === orderIds.size) return { waitedMs: Date.now() - started, reason: 'done' };
    if (decided + sent !== last) {
      last = decided + sent;
      lastChange = Date.now();
      log(`${decided}/${orderIds.size} decided, ${sent} notified`);
    }
    if (Date.now() - lastChange > stallMs) return { waitedMs: Date.now() - started, reason: `no progress for ${stallMs / 1000} s` };
    if (Date.now() - started > capMs) return { waitedMs: Date.now() - started, reason: `deadline of ${capMs / 1000} s passed` };
    await sleep(1000);
  }
};

/** Every sum of a subset of `values` (the restocks whose answer was lost). @param {number[]} values */
const subsetSums = (values) => {
  let sums = new Set([0]);
  for (const v of values.slice(0, 16)) sums = new Set([...sums, ...[...sums].map((s) => s + v)]);
  return sums;
};

/**
 * Every invariant, from the tables read back and the DLQ depths. Returns the figures and the violations.
 * @param {{ dynamodb: DynamoDBClient, snsSqsEndpoint: string, workload: Workload, allowDlq?: Record<string, number> }} options
 */
export const checkInvariants = async ({ dynamodb, snsSqsEndpoint, workload, allowDlq = {} }) => {
  const itemRows = await scanTable(dynamodb, ITEMS_TABLE);
  const orderRows = await scanTable(dynamodb, ORDERS_TABLE);
  const notificationRows = await scanTable(dynamodb, NOTIFICATIONS_TABLE);
  const port = new URL(snsSqsEndpoint).port;
  const target = localTarget({ env: { ...process.env, SNS_SQS_PORT: port } });
  /** @type {Record<string, number>} */
  const dlqDepths = {};
  try {
    for (const queue of await listDeadLetterQueues(target, { sampleAge: false })) dlqDepths[queue.name] = queue.depth + queue.inFlight + queue.delayed;
  } finally {
    target.sqs.destroy?.();
  }
  return judge({ workload, itemRows, orderRows, notificationRows, dlqDepths, allowDlq });
};

/**
 * @typedef {Awaited<ReturnType<typeof runWorkload>>} Workload
 */

/**
 * The invariants themselves, on rows already read: no I/O, so a test can hand it broken tables.
 * @param {{ workload: Pick<Workload, 'items' | 'orders' | 'idempotentRetries' | 'idempotencyProblems'>, itemRows: Record<string, any>[],
 *   orderRows: Record<string, any>[], notificationRows: Record<string, any>[], dlqDepths: Record<string, number>, allowDlq?: Record<string, number> }} options
 */
export const judge = ({ workload, itemRows, orderRows: allOrderRows, notificationRows, dlqDepths, allowDlq = {} }) => {
  /** @type {string[]} */
  const violations = [...workload.idempotencyProblems];
  const orderRows = allOrderRows.filter((r) => r.sk === 'ORDER');
  // A sharded item's stock is in its shard rows (sk STOCK; docs/decisions/0011-hot-item-stock.md), not on its row.
  /** @type {Map<string, number>} */
  const shardStock = new Map();
  for (const r of itemRows.filter((r) => r.sk === 'STOCK')) {
    shardStock.set(r.itemId, (shardStock.get(r.itemId) ?? 0) + r.stock);
    if (r.stock < 0) violations.push(`stock shard ${r.pk} holds ${r.stock}`);
  }
  const itemById = new Map(itemRows.filter((r) => r.sk === 'ITEM').map((r) => [r.id, r.stockShards > 1 ? { ...r, stock: shardStock.get(r.id) ?? 0 } : r]));
  const reservationByOrder = new Map(itemRows.filter((r) => r.sk === 'RESERVATION').map((r) => [r.orderId, r]));
  const ours = new Map(workload.items.map((i) => [i.id, i]));

  // Orders: each accepted one exactly once, decided, with its reservation agreeing.
  const accepted = workload.orders.filter((o) => o.orderId);
  const acceptedIds = new Set(accepted.map((o) => /** @type {string} */ (o.orderId)));
  const rowsById = new Map();
  for (const row of orderRows) rowsById.set(row.id, [...(rowsById.get(row.id) ?? []), row]);
  const placedByUs = orderRows.filter((r) => ours.has(r.itemId));
  const duplicates = placedByUs.length - acceptedIds.size;
  if (duplicates !== 0) violations.push(`${placedByUs.length} order rows and ${accepted.length} accepted orders for ${acceptedIds.size} distinct ids: ${duplicates} duplicate(s)`);
  /** @type {Record<string, number>} */
  const rejectedBy = {};
  let confirmed = 0;
  let lost = 0;
  /** @type {Map<string, number>} */
  const confirmedQuantity = new Map();
  for (const order of accepted) {
    const id = /** @type {string} */ (order.orderId);
    const rows = rowsById.get(id) ?? [];
    const row = rows[0];
    if (!row || row.status === 'PENDING') {
      lost += 1;
      violations.push(`order ${id} (key ${order.key}) ${row ? 'still PENDING' : 'has no row'}`);
      continue;
    }
    if (row.itemId !== order.itemId || row.quantity !== order.quantity) violations.push(`order ${id} is for ${row.quantity} x ${row.itemId}, sent ${order.quantity} x ${order.itemId}`);
    const reservation = reservationByOrder.get(id);
    if (row.status === 'CONFIRMED') {
      confirmed += 1;
      confirmedQuantity.set(row.itemId, (confirmedQuantity.get(row.itemId) ?? 0) + row.quantity);
      if (reservation?.status !== 'RESERVED') violations.push(`order ${id} CONFIRMED but its reservation is ${reservation?.status ?? 'missing'}`);
    } else if (row.status === 'REJECTED') {
      rejectedBy[row.reason ?? 'no reason'] = (rejectedBy[row.reason ?? 'no reason'] ?? 0) + 1;
      if (!row.reason) violations.push(`order ${id} REJECTED without a reason`);
      if (reservation?.status === 'RESERVED') violations.push(`order ${id} REJECTED (${row.reason}) but its stock was reserved`);
    } else violations.push(`order ${id} has status ${row.status}`);
    // Deleted items: an order whose reservation was attempted after the DELETE's 204 is rejected ITEM_NOT_FOUND;
    // one rejected ITEM_NOT_FOUND was refused (its answer stamped) after the DELETE was sent.
    const item = ours.get(order.itemId);
    const reservedAt = reservation?.createdAt ? Date.parse(reservation.createdAt) : undefined;
    if (item?.deletedAt !== undefined && reservedAt !== undefined && reservedAt > item.deletedAt && !(row.status === 'REJECTED' && row.reason === 'ITEM_NOT_FOUND')) {
      violations.push(`order ${id} for item ${item.id} was reserved at ${reservation?.createdAt}, after its delete (${new Date(item.deletedAt).toISOString()}), yet is ${row.status} ${row.reason ?? ''}`);
    }
    if (row.reason === 'ITEM_NOT_FOUND' && (item?.deleteStartedAt === undefined || (reservedAt !== undefined && reservedAt < item.deleteStartedAt))) {
      violations.push(`order ${id} REJECTED ITEM_NOT_FOUND but item ${order.itemId} ${item?.deleteStartedAt === undefined ? 'was never deleted' : 'was deleted only later'}`);
    }
  }
  for (const order of workload.orders.filter((o) => !o.orderId)) violations.push(`order key ${order.key} was never accepted (last answer ${order.status})`);

  // Notifications: exactly one SENT per decided order.
  /** @type {Map<string, any[]>} */
  const notificationsByOrder = new Map();
  for (const row of notificationRows) if (acceptedIds.has(row.orderId)) notificationsByOrder.set(row.orderId, [...(notificationsByOrder.get(row.orderId) ?? []), row]);
  let notified = 0;
  let notificationDuplicates = 0;
  for (const id of acceptedIds) {
    const rows = notificationsByOrder.get(id) ?? [];
    const sent = rows.filter((r) => r.status === 'SENT');
    if (sent.length === 1 && rows.length === 1) notified += 1;
    else if (sent.length > 1 || rows.length > 1) {
      notificationDuplicates += rows.length - 1;
      violations.push(`order ${id} has ${rows.length} notification rows (${rows.map((r) => r.status).join(', ')})`);
    } else violations.push(`order ${id} has no SENT notification (${rows.map((r) => r.status).join(', ') || 'no row'})`);
  }

  // Stock, per item.
  let negative = 0;
  for (const item of workload.items) {
    const expected = item.initial + item.restocked - (confirmedQuantity.get(item.id) ?? 0);
    const row = itemById.get(item.id);
    const seenNegative = item.seenStocks.filter((s) => s < 0);
    if (seenNegative.length > 0) {
      negative += 1;
      violations.push(`item ${item.id}: the API showed a negative stock (${seenNegative.join(', ')})`);
    }
    if (item.deletedAt !== undefined || item.deleteStartedAt !== undefined) {
      if (row && item.deletedAt !== undefined) violations.push(`item ${item.id} answered 204 to DELETE but is still in the table`);
      if (!row && expected < 0) {
        negative += 1;
        violations.push(`deleted item ${item.id}: stock at its delete = ${item.initial} + ${item.restocked} − ${confirmedQuantity.get(item.id) ?? 0} = ${expected} < 0`);
      }
      if (!row) continue;
    }
    if (!row) {
      violations.push(`item ${item.id} is gone but was never deleted`);
      continue;
    }
    if (row.stock < 0) {
      negative += 1;
      violations.push(`item ${item.id} ends with stock ${row.stock}`);
    }
    if (row.stock !== expected && !subsetSums(item.ambiguous).has(row.stock - expected)) violations.push(`item ${item.id}: ${item.initial} initial + ${item.restocked} restocked − ${confirmedQuantity.get(item.id) ?? 0} confirmed = ${expected}, table says ${row.stock}`);
  }

  // Dead-letter queues: empty, but for deliberately poisoned messages.
  /** @type {Record<string, number>} */
  const dlq = {};
  for (const [name, depth] of Object.entries(dlqDepths)) {
    if (depth > 0) dlq[name] = depth;
    if (depth > (allowDlq[name] ?? 0)) violations.push(`DLQ ${name} holds ${depth} message(s)`);
  }

  return {
    figures: {
      orders: workload.orders.length,
      accepted: acceptedIds.size,
      confirmed,
      rejectedBy,
      notified,
      restocks: workload.items.reduce((n, i) => n + i.restocks, 0),
      deletes: workload.items.filter((i) => i.deletedAt !== undefined).length,
      idempotentRetries: workload.idempotentRetries,
      lost,
      duplicates: duplicates + notificationDuplicates,
      negativeStock: negative,
      dlq,
    },
    violations,
  };
};

/**
 * The whole soak against a running stack.
 * @param {{ apiUrl: string, dynamodbEndpoint: string, snsSqsEndpoint: string, orders: number, items: number, seed: number, log?: (line: string) => void }} options
 */
export const runSoak = async ({ apiUrl, dynamodbEndpoint, snsSqsEndpoint, orders, items, seed, log = () => {} }) => {
  const started = Date.now();
  const dynamodb = new DynamoDBClient(localClientConfig(dynamodbEndpoint));
  try {
    const workload = await runWorkload({ apiUrl, orders, items, seed, log });
    log(`${workload.orders.length} orders placed in ${(workload.placedMs / 1000).toFixed(1)} s; waiting for their outcomes`);
    const orderIds = new Set(workload.orders.flatMap((o) => (o.orderId ? [o.orderId] : [])));
    const wait = await waitForOutcomes({ dynamodb, orderIds, log });
    const { figures, violations } = await checkInvariants({ dynamodb, snsSqsEndpoint, workload });
    // A 503 in the API's shape with Retry-After is the API's documented answer to a store that
    // stalled (a busy machine's DynamoDB Local does): the client retries with its key, and the
    // invariants above say whether anything was lost. A few are the machine's; more are a problem.
    const unavailable = workload.failures.filter(isApiUnavailable);
    const failures = workload.failures.filter((f) => !isApiUnavailable(f)).map((f) => `${f.what} answered ${f.status || f.error} after ${f.ms} ms: ${f.body}`);
    const requests = Object.values(workload.statuses).reduce((sum, count) => sum + count, 0);
    if (unavailable.length > Math.max(1, MAX_UNAVAILABLE_SHARE * requests)) {
      failures.push(`${unavailable.length} of ${requests} requests answered 503 (over ${MAX_UNAVAILABLE_SHARE * 100}%): ${unavailable.slice(0, 3).map((f) => `${f.what} after ${Math.round(f.ms)} ms`).join(', ')}`);
    }
    return {
      figures: { ...figures, serverErrors: workload.failures.length, unavailable: unavailable.length, statuses: workload.statuses, seed, durationMs: Date.now() - started, waited: wait.reason },
      violations: [...failures, ...violations],
    };
  } finally {
    dynamodb.destroy();
  }
};
