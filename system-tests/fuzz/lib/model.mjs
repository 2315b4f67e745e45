// What the fuzzer knows of the running system, so it can name existing items
// and orders, predict every answer (scenario.mjs, the oracle's domain part),
// and tell whether a refused request changed a table. It learns only from its
// own successful requests.
//
// Items are in three sets: `pool` (the ones PATCH and DELETE aim at; their
// versions are known exactly), `orderItems` (the ones valid orders name:
// the order saga changes their stock and version asynchronously, so neither
// is compared), and the rest that POST /items created. Orders never name a
// pool item, so nothing but the fuzzer's own requests changes a pool item.
import { createTableSnapshotter } from '@platform/fuzz/lib/tables';

export const ITEMS_TABLE = 'items-api-local-items';
export const ORDERS_TABLE = 'order-processor-local-orders';

/** The body fields an Idempotency-Key is bound to (order-processor hashes exactly these). @param {unknown} itemId @param {unknown} quantity */
export const requestHash = (itemId, quantity) => JSON.stringify([itemId, quantity]);

export const createModel = () => {
  /** @type {Map<string, { version: number, kind: 'pool' | 'order' | 'created', deleted: boolean }>} */
  const items = new Map();
  /** @type {string[]} */
  const pool = [];
  /** @type {string[]} */
  const orderItems = [];
  /** @type {string[]} */
  const deleted = [];
  /** @type {Map<string, { owner: string, itemId: string, quantity: number }>} */
  const orders = new Map();
  /** @type {Map<string, { key: string, hash: string, orderId: string, itemId: string, quantity: number }>} */
  const keys = new Map();
  /** @type {string[]} */
  const cursors = [];
  /** Per item, when each image upload granted to it expires (the fuzzer never sends the files: each stays pending until then). @type {Map<string, number[]>} */
  const uploads = new Map();

  const keyId = (/** @type {string} */ subject, /** @type {string} */ key) => `${subject}\n${key}`;

  return {
    items,
    pool,
    orderItems,
    deleted,
    orders,
    cursors,
    /** @param {string} id @param {number} version @param {'pool' | 'order' | 'created'} kind */
    addItem(id, version, kind) {
      items.set(id, { version, kind, deleted: false });
      if (kind === 'pool') pool.push(id);
      if (kind === 'order') orderItems.push(id);
    },
    /** @param {string} id */
    itemExists: (id) => items.has(id) && !items.get(id)?.deleted,
    /** @param {string} id */
    versionOf: (id) => items.get(id)?.version,
    /** Only pool and created items: an order item's version moves with the saga. @param {string} id @param {number} version */
    setVersion(id, version) {
      const item = items.get(id);
      if (item) item.version = version;
    },
    /** An upload granted for the item, pending until `expiresAt` (ISO). @param {string} id @param {string} expiresAt */
    addUpload(id, expiresAt) {
      uploads.set(id, [...(uploads.get(id) ?? []), Date.parse(expiresAt)]);
    },
    /** The item's uploads still pending now. @param {string} id */
    pendingUploads: (id) => (uploads.get(id) ?? []).filter((expiresAt) => expiresAt > Date.now()).length,
    /** @param {string} id */
    removeItem(id) {
      const item = items.get(id);
      if (item) item.deleted = true;
      const at = pool.indexOf(id);
      if (at >= 0) pool.splice(at, 1);
      deleted.push(id);
    },
    /** @param {string} id @param {string} owner @param {string} itemId @param {number} quantity */
    addOrder(id, owner, itemId, quantity) {
      orders.set(id, { owner, itemId, quantity });
    },
    /** @param {string} subject */
    ordersOf: (subject) => [...orders].filter(([, order]) => order.owner === subject).map(([id]) => id),
    /** @param {string} subject */
    ordersNotOf: (subject) => [...orders].filter(([, order]) => order.owner !== subject).map(([id]) => id),
    /** @param {string} id */
    ownerOf: (id) => orders.get(id)?.owner,
    /** @param {string} subject @param {string} key */
    keyOf: (subject, key) => keys.get(keyId(subject, key)),
    /** @param {string} subject */
    keysOf: (subject) => [...keys].filter(([id]) => id.startsWith(`${subject}\n`)).map(([, record]) => record),
    /** @param {string} subject @param {string} key @param {string} orderId @param {string} itemId @param {number} quantity */
    addKey(subject, key, orderId, itemId, quantity) {
      keys.set(keyId(subject, key), { key, hash: requestHash(itemId, quantity), orderId, itemId, quantity });
    },
    /** @param {string} cursor */
    addCursor(cursor) {
      if (!cursors.includes(cursor)) cursors.push(cursor);
      if (cursors.length > 10) cursors.shift();
    },
  };
};

/** @typedef {ReturnType<typeof createModel>} Model */

const ITEM_COLUMNS = ['pk', 'sk', 'id', 'name', 'description', 'priceCents', 'stock', 'version', 'createdAt', 'updatedAt'];
const SAGA_COLUMNS = new Set(['stock', 'version', 'updatedAt']);
const ORDER_COLUMNS = ['pk', 'sk', 'id', 'itemId', 'quantity', 'customerId', 'customerEmail', 'createdAt', 'orderId', 'requestHash', 'expiresAt'];

/** @param {Record<string, any>} row @param {string[]} columns @returns {Record<string, any>} */
const pick = (row, columns) => Object.fromEntries(columns.filter((column) => row[column] !== undefined).map((column) => [column, row[column]]));
/** @param {Record<string, any>} a @param {Record<string, any>} b */
const byKey = (a, b) => `${a.pk}\n${a.sk}`.localeCompare(`${b.pk}\n${b.sk}`);

/**
 * What only an HTTP request can change of both tables: every item row (order
 * items without the columns the saga changes) and every order and
 * Idempotency-Key row without the status, reason and timestamps the saga sets.
 * Reservation rows, written by the saga only, are left out.
 * @param {Record<string, any>[]} itemRows @param {Record<string, any>[]} orderRows @param {Model} model
 * @returns {import('@platform/fuzz/lib/tables').Snapshot}
 */
export const project = (itemRows, orderRows, model) => {
  const items = itemRows
    .filter((row) => row.sk === 'ITEM')
    .map((row) => {
      const kept = pick(row, ITEM_COLUMNS);
      if (model.items.get(row.id)?.kind === 'order') for (const column of SAGA_COLUMNS) delete kept[column];
      return kept;
    })
    .sort(byKey);
  const orders = orderRows.map((row) => pick(row, ORDER_COLUMNS)).sort(byKey);
  return { items, orders };
};

/**
 * Reads both tables, consistently, and projects them.
 * @param {string} dynamodbEndpoint
 */
export const createSnapshotter = (dynamodbEndpoint) =>
  createTableSnapshotter({
    endpoint: dynamodbEndpoint,
    tables: { items: ITEMS_TABLE, orders: ORDERS_TABLE },
    project: ({ items = [], orders = [] }, model) => project(items, orders, model),
  });
