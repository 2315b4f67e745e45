// A flash sale on a local stack: one item, many customers ordering it at once,
// through the whole saga (POST /orders → order.placed → reserveStock →
// stock.reserved / stock.rejected → the order decided). Then the tables and
// the API are read back: exactly `stock` orders confirmed, every other one
// refused OUT_OF_STOCK, one reservation row per order, and the stock at 0.
// Shared by `npm run flash-sale` and its bounded test.
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { backoffMs, createAgent, request } from '@platform/bench/lib/http-client';
import { sleep } from '@platform/bench/lib/stats';
import { localClientConfig } from '@platform/local-runtime/aws';
import { loadDevIssuer } from '@platform/local-runtime/gateway/dev-issuer';
import { scanTable } from '@platform/testing/scan-table';

const ITEMS_TABLE = 'items-api-local-items';
const ORDERS_TABLE = 'order-processor-local-orders';
const CUSTOMERS = 20;
/** A POST answered 503 (or not at all) is sent again with its Idempotency-Key, as a client does. */
const MAX_RETRIES = 10;

/**
 * @typedef {{ orders: number, stock: number, confirmed: number, rejected: Record<string, number>, pending: number,
 *   stockAfter: number | undefined, versionAfter: number | undefined, reservationRows: number, stockShards: number,
 *   placeMs: number, decideMs: number, ordersPerSecond: number, statuses: Record<string, number>, violations: string[] }} FlashSaleResult
 */

/**
 * @param {{ apiUrl: string, dynamodbEndpoint: string, orders: number, stock: number, timeoutMs?: number, log?: (line: string) => void }} options
 * @returns {Promise<FlashSaleResult>}
 */
export const runFlashSale = async ({ apiUrl, dynamodbEndpoint, orders, stock, timeoutMs = 180_000, log = () => {} }) => {
  const issuer = await loadDevIssuer();
  const bearer = async (/** @type {import('@platform/local-runtime/gateway/dev-issuer').DevTokenClaims} */ claims) => ({
    authorization: `Bearer ${await issuer.sign({ ...claims, expiresInSeconds: 3600 })}`,
  });
  const staff = await bearer({ email: 'flash-sale-staff@example.com', scopes: ['items:write'] });
  const customers = await Promise.all(Array.from({ length: CUSTOMERS }, (_, i) => bearer({ email: `flash-sale-${i}@example.com` })));
  const agent = createAgent();
  /** @type {Record<string, number>} */
  const statuses = {};
  /** @param {{ method: string, path: string, body?: unknown, headers?: Record<string, string> }} options */
  const call = async (options) => {
    const answer = await request({ baseUrl: apiUrl, agent, timeoutMs: 60_000, ...options });
    const key = `${options.method} ${options.path.replace(/\/[0-9a-f-]{36}$/, '/{id}')} ${answer.status || answer.error}`;
    statuses[key] = (statuses[key] ?? 0) + 1;
    return answer;
  };

  const created = await call({ method: 'POST', path: '/items', body: { name: 'flash sale', priceCents: 999, stock }, headers: staff });
  if (created.status !== 201) throw new Error(`POST /items answered ${created.status}: ${created.text.slice(0, 300)}`);
  const itemId = /** @type {string} */ (created.json.id);
  log(`item ${itemId} with stock ${stock}; ${orders} orders at once`);

  const started = Date.now();
  /** @type {string[]} */
  const orderIds = [];
  const placeOne = async (/** @type {number} */ index) => {
    const headers = { ...customers[index % CUSTOMERS], 'idempotency-key': randomUUID() };
    for (let attempt = 0; ; attempt += 1) {
      const answer = await call({ method: 'POST', path: '/orders', body: { itemId, quantity: 1 }, headers });
      if (answer.status === 202) {
        orderIds.push(answer.json.orderId);
        return;
      }
      if ((answer.status !== 503 && answer.status !== 0) || attempt >= MAX_RETRIES) throw new Error(`POST /orders answered ${answer.status || answer.error}: ${answer.text.slice(0, 300)}`);
      await sleep(backoffMs(attempt));
    }
  };
  await Promise.all(Array.from({ length: orders }, (_, index) => placeOne(index)));
  const placeMs = Date.now() - started;
  log(`${orders} orders accepted in ${(placeMs / 1000).toFixed(1)} s; waiting for their decisions`);

  const dynamodb = new DynamoDBClient(localClientConfig(dynamodbEndpoint));
  const ids = new Set(orderIds);
  /** @type {Record<string, any>[]} */
  let decided = [];
  for (let last = -1, lastChange = Date.now(); ; ) {
    decided = (await scanTable(dynamodb, ORDERS_TABLE)).filter((row) => row.sk === 'ORDER' && ids.has(row.id) && row.status !== 'PENDING');
    if (decided.length === ids.size) break;
    if (decided.length !== last) {
      [last, lastChange] = [decided.length, Date.now()];
      log(`${decided.length}/${ids.size} decided`);
    }
    if (Date.now() - lastChange > timeoutMs) break;
    await sleep(250);
  }
  const decideMs = Date.now() - started;

  const confirmed = decided.filter((row) => row.status === 'CONFIRMED').length;
  /** @type {Record<string, number>} */
  const rejected = {};
  for (const row of decided.filter((r) => r.status === 'REJECTED')) rejected[row.reason] = (rejected[row.reason] ?? 0) + 1;
  const itemRows = await scanTable(dynamodb, ITEMS_TABLE);
  const reservations = itemRows.filter((row) => row.sk === 'RESERVATION' && row.itemId === itemId);
  const itemRow = itemRows.find((row) => row.sk === 'ITEM' && row.id === itemId);
  const shardRows = itemRows.filter((row) => row.sk === 'STOCK' && row.itemId === itemId);
  dynamodb.destroy();
  const after = await call({ method: 'GET', path: `/items/${itemId}` });
  agent.destroy();

  const expectedConfirmed = Math.min(stock, orders);
  const violations = [];
  if (decided.length !== orders) violations.push(`${orders - decided.length} of ${orders} orders were never decided`);
  if (confirmed !== expectedConfirmed) violations.push(`${confirmed} orders confirmed, not ${expectedConfirmed}`);
  if ((rejected.OUT_OF_STOCK ?? 0) !== decided.length - confirmed) violations.push(`refusals other than OUT_OF_STOCK: ${JSON.stringify(rejected)}`);
  if (after.json?.stock !== stock - confirmed) violations.push(`GET /items/{id} shows stock ${after.json?.stock}, not ${stock - confirmed}`);
  if (after.json?.version !== 1 + confirmed) violations.push(`GET /items/{id} shows version ${after.json?.version}, not ${1 + confirmed} (1 + a change per reservation)`);
  if (reservations.length !== orders) violations.push(`${reservations.length} reservation rows for ${orders} orders`);
  if (new Set(reservations.map((row) => row.orderId)).size !== reservations.length) violations.push('two reservation rows for one order');
  if (reservations.filter((row) => row.status === 'RESERVED').length !== confirmed) violations.push('the reserved rows and the confirmed orders differ');
  for (const row of [itemRow, ...shardRows]) if (row && row.stock < 0) violations.push(`${row.pk} holds stock ${row.stock}`);
  return {
    orders,
    stock,
    confirmed,
    rejected,
    pending: orders - decided.length,
    stockAfter: after.json?.stock,
    versionAfter: after.json?.version,
    reservationRows: reservations.length,
    stockShards: Number(itemRow?.stockShards ?? 1),
    placeMs,
    decideMs,
    ordersPerSecond: decided.length / (decideMs / 1000),
    statuses,
    violations,
  };
};

/** @param {FlashSaleResult} result */
export const describeFlashSale = (result) =>
  [
    `${result.stockShards === 1 ? 'single row' : `${result.stockShards} stock shards`}: ${result.orders} orders on stock ${result.stock}`,
    `  confirmed ${result.confirmed}, rejected ${JSON.stringify(result.rejected)}, undecided ${result.pending}`,
    `  stock after ${result.stockAfter}, version after ${result.versionAfter}, reservation rows ${result.reservationRows}`,
    `  accepted in ${(result.placeMs / 1000).toFixed(1)} s, all decided in ${(result.decideMs / 1000).toFixed(1)} s (${result.ordersPerSecond.toFixed(0)} orders/s end to end, local)`,
    `  HTTP: ${Object.entries(result.statuses).map(([what, count]) => `${what} ×${count}`).join(', ')}`,
    result.violations.length === 0 ? '  every check held' : result.violations.map((violation) => `  VIOLATION: ${violation}`).join('\n'),
  ].join('\n');
