// The smoke test of one stage (`npm run smoke -- --stage <stage>`): the fewest
// calls that show a deployed system works end to end, through its public API.
//   1. find the stage's URLs from the stacks' outputs (CloudFormation
//      DescribeStacks; locally, the running stack's gateway), and see that
//      its API answers (GET /items, public);
//   2. get a token from the stage's issuer (client credentials; locally the
//      dev issuer);
//   3. create an item (stock 1) and read it back;
//   4. place an order for it and wait until the saga has decided it;
//   5. wait until notifier has recorded the notification of that outcome (a
//      GetItem on the notifier's table, named by its stack's output: the one
//      read that is not the API, as no route shows notifications);
//   6. clean up: delete the item. The order and its notification stay: no
//      route deletes an order, and the notification expires by its TTL.
// Each step prints one line with its timing; the first failure ends the run
// (the clean-up still runs) and the run fails.
import { randomUUID } from 'node:crypto';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';

/** The stacks a smoke run reads, by role. Each is `<service>-<stage>` (the framework's stack name). */
export const SMOKE_STACKS = { items: 'items-api', orders: 'order-processor', notifier: 'notifier' };

/** The environment variables that hold a deployed stage's smoke client (docs/delivery.md). */
export const CLIENT_VARIABLES = {
  tokenUrl: 'SMOKE_TOKEN_URL',
  clientId: 'SMOKE_CLIENT_ID',
  clientSecret: 'SMOKE_CLIENT_SECRET',
  scope: 'SMOKE_SCOPE',
  audience: 'SMOKE_AUDIENCE',
};

/**
 * @typedef {{ itemsUrl: string, ordersUrl: string, notificationsTable: string, dynamodb: import('@aws-sdk/client-dynamodb').DynamoDBClientConfig }} SmokeTarget
 * @typedef {{ stage: string, target: SmokeTarget, token: () => Promise<{ token: string, from: string }>, timeoutMs?: number, log?: (line: string) => void }} SmokeOptions
 */

/**
 * What a deployed stage's stacks say about it, from their outputs
 * (`{ [stackName]: { [OutputKey]: OutputValue } }`): the two APIs' URLs and the
 * notifier's table. Throws naming every output that is missing.
 * @param {string} stage
 * @param {Record<string, Record<string, string> | undefined>} outputs
 * @returns {{ itemsUrl: string, ordersUrl: string, notificationsTable: string }}
 */
export const targetFromOutputs = (stage, outputs) => {
  /** @type {string[]} */
  const missing = [];
  /** @param {string} service @param {string} key */
  const output = (service, key) => {
    const stack = `${service}-${stage}`;
    const value = outputs[stack]?.[key];
    if (!value) missing.push(outputs[stack] ? `${stack} has no output ${key}` : `no stack ${stack}`);
    return value ?? '';
  };
  const target = {
    itemsUrl: output(SMOKE_STACKS.items, 'HttpApiUrl').replace(/\/$/, ''),
    ordersUrl: output(SMOKE_STACKS.orders, 'HttpApiUrl').replace(/\/$/, ''),
    notificationsTable: output(SMOKE_STACKS.notifier, 'NotificationsTableName'),
  };
  if (missing.length > 0) throw new Error(`stage ${stage} is not (fully) deployed: ${missing.join('; ')}`);
  return target;
};

/**
 * A token from an OAuth 2.0 token endpoint by the client credentials grant
 * (RFC 6749 4.4), the client authenticating with HTTP Basic.
 * @param {{ tokenUrl?: string, clientId?: string, clientSecret?: string, scope?: string, audience?: string }} client
 * @returns {Promise<string>} the access token
 */
export const clientCredentialsToken = async ({ tokenUrl, clientId, clientSecret, scope, audience }) => {
  const unset = Object.entries({ tokenUrl, clientId, clientSecret })
    .filter(([, value]) => !value)
    .map(([name]) => CLIENT_VARIABLES[/** @type {keyof typeof CLIENT_VARIABLES} */ (name)]);
  if (unset.length > 0) throw new Error(`set ${unset.join(', ')}: the stage's smoke client (docs/delivery.md)`);
  const body = new URLSearchParams({ grant_type: 'client_credentials', ...(scope && { scope }), ...(audience && { audience }) });
  const response = await fetch(/** @type {string} */ (tokenUrl), {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(/** @type {string} */ (clientId))}:${encodeURIComponent(/** @type {string} */ (clientSecret))}`).toString('base64')}`,
    },
    body,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`the token endpoint answered ${response.status}: ${text.slice(0, 300)}`);
  const token = /** @type {{ access_token?: unknown }} */ (JSON.parse(text)).access_token;
  if (typeof token !== 'string' || token === '') throw new Error('the token endpoint answered without an access_token');
  return token;
};

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs the smoke test against `target`. Resolves with each step's outcome; never
 * throws for a failing step (it is in the result, and `log` printed it).
 * @param {SmokeOptions} options
 * @returns {Promise<{ ok: boolean, steps: Array<{ name: string, ok: boolean, ms: number, detail: string }>, ms: number }>}
 */
export const runSmoke = async ({ stage, target, token: getToken, timeoutMs = 60_000, log = console.log }) => {
  const started = performance.now();
  /** @type {Array<{ name: string, ok: boolean, ms: number, detail: string }>} */
  const steps = [];
  const run = randomUUID().slice(0, 8);
  /**
   * Runs one step and prints its line; throws (to end the run) when it fails.
   * @template T @param {string} name @param {() => Promise<[T, string]>} body @returns {Promise<T>}
   */
  const step = async (name, body) => {
    const at = performance.now();
    try {
      const [value, detail] = await body();
      const ms = Math.round(performance.now() - at);
      steps.push({ name, ok: true, ms, detail });
      log(`ok   ${String(ms).padStart(6)} ms  ${name}${detail ? `: ${detail}` : ''}`);
      return value;
    } catch (error) {
      const ms = Math.round(performance.now() - at);
      const detail = error instanceof Error ? error.message : String(error);
      steps.push({ name, ok: false, ms, detail });
      log(`FAIL ${String(ms).padStart(6)} ms  ${name}: ${detail}`);
      throw error;
    }
  };
  /** @param {string} base @param {string} method @param {string} path @param {string} bearer @param {unknown} [body] @param {Record<string, string>} [headers] */
  const call = async (base, method, path, bearer, body, headers = {}) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    /** @type {any} */
    let json;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, json, text };
  };
  /** @param {{ status: number, text: string }} response @param {number} expected @param {string} what */
  const expectStatus = (response, expected, what) => {
    if (response.status !== expected) throw new Error(`${what} answered ${response.status}, expected ${expected}: ${response.text.slice(0, 300)}`);
  };
  /** Polls `probe` until it gives a value, every 250 ms up to the run's timeout. @template T @param {() => Promise<T | undefined>} probe @param {() => string} state */
  const until = async (probe, state) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`${state()} after ${timeoutMs / 1000} s`);
      await sleep(250);
    }
  };

  /** @type {string | undefined} */
  let itemId;
  /** @type {string} */
  let bearer = '';
  const db = new DynamoDBClient(target.dynamodb);
  try {
    await step('find the stage', async () => {
      // GET /items is public: it answers before any token is at hand.
      const response = await fetch(`${target.itemsUrl}/items?limit=1`, { signal: AbortSignal.timeout(15_000) }).catch((/** @type {Error} */ error) => {
        throw new Error(`nothing answers at ${target.itemsUrl} (${error.message}): is the stage's stack running?`);
      });
      if (response.status !== 200) throw new Error(`GET ${target.itemsUrl}/items answered ${response.status}, expected 200`);
      return [undefined, `items ${target.itemsUrl}, orders ${target.ordersUrl}, notifications ${target.notificationsTable}`];
    });
    bearer = await step('get a token', async () => {
      const { token, from } = await getToken();
      return [token, `from ${from}`];
    });
    itemId = await step('create an item', async () => {
      const response = await call(target.itemsUrl, 'POST', '/items', bearer, { name: `smoke ${run}`, description: `smoke test of ${stage}`, priceCents: 100, stock: 1 });
      expectStatus(response, 201, 'POST /items');
      return [/** @type {string} */ (response.json.id), `${response.json.id}`];
    });
    await step('read the item', async () => {
      const response = await call(target.itemsUrl, 'GET', `/items/${itemId}`, bearer);
      expectStatus(response, 200, `GET /items/${itemId}`);
      if (response.json.stock !== 1) throw new Error(`GET /items/${itemId} says stock ${response.json.stock}, expected 1`);
      return [undefined, `version ${response.json.version}, stock ${response.json.stock}`];
    });
    const orderId = await step('place an order', async () => {
      const response = await call(target.ordersUrl, 'POST', '/orders', bearer, { itemId, quantity: 1 }, { 'idempotency-key': `smoke-${run}` });
      expectStatus(response, 202, 'POST /orders');
      return [/** @type {string} */ (response.json.orderId), `${response.json.orderId} ${response.json.status}`];
    });
    const decided = await step('wait for the order to be decided', async () => {
      let last = 'no answer';
      const order = await until(async () => {
        const response = await call(target.ordersUrl, 'GET', `/orders/${orderId}`, bearer);
        expectStatus(response, 200, `GET /orders/${orderId}`);
        last = response.json.status;
        return ['CONFIRMED', 'REJECTED'].includes(response.json.status) ? response.json : undefined;
      }, () => `the order is still ${last}`);
      // The item had stock 1 and nobody else orders it: anything but CONFIRMED is a fault.
      if (order.status !== 'CONFIRMED') throw new Error(`the order was ${order.status} (${order.reason ?? 'no reason'}), expected CONFIRMED`);
      return [order.status, order.status];
    });
    await step('wait for the notification to be recorded', async () => {
      // notifier records each outcome under its event's id, `order.<outcome>:<orderId>` (order-processor's outbox).
      const eventId = `order.${String(decided).toLowerCase()}:${orderId}`;
      let last = 'not recorded';
      const record = await until(async () => {
        const { Item } = await db.send(new GetItemCommand({ TableName: target.notificationsTable, Key: { pk: { S: `NOTIFICATION#${eventId}` }, sk: { S: 'NOTIFICATION' } }, ConsistentRead: true }));
        last = Item ? `recorded as ${Item.status?.S}` : 'not recorded';
        return Item?.status?.S === 'SENT' ? Item : undefined;
      }, () => `the notification of ${eventId} is ${last}`);
      return [undefined, `${eventId} ${record.status?.S}`];
    });
  } catch {
    // The failing step printed its line; clean up all the same.
  } finally {
    if (itemId) {
      const id = itemId;
      await step('clean up', async () => {
        const response = await call(target.itemsUrl, 'DELETE', `/items/${id}`, bearer);
        expectStatus(response, 204, `DELETE /items/${id}`);
        return [undefined, `deleted item ${id}; the order and its notification stay (no route deletes an order; the notification expires by its TTL)`];
      }).catch(() => undefined);
    }
    db.destroy();
  }
  return { ok: steps.every((s) => s.ok), steps, ms: Math.round(performance.now() - started) };
};
