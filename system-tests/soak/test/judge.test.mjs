// The soak's invariants on hand-made tables: a healthy run passes, and each
// kind of breakage is caught (so a green soak means something).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judge } from '../lib/soak.mjs';

const T0 = Date.parse('2026-11-27T12:00:00.000Z');
const at = (/** @type {number} */ ms) => new Date(T0 + ms).toISOString();

/** Two items (B deleted at +10 s), four orders, and the rows a correct system leaves. */
const healthy = () => {
  const items = [
    { id: 'A', initial: 5, restocked: 3, restocks: 1, ambiguous: [], seenStocks: [5, 8] },
    { id: 'B', initial: 2, restocked: 0, restocks: 0, ambiguous: [], seenStocks: [2], deleteStartedAt: T0 + 9_000, deletedAt: T0 + 10_000 },
  ];
  const orders = [
    { index: 0, key: 'k0', itemId: 'A', quantity: 2, customer: 0, orderId: 'o0', status: 202, retries: 1 },
    { index: 1, key: 'k1', itemId: 'A', quantity: 3, customer: 1, orderId: 'o1', status: 202, retries: 0 },
    { index: 2, key: 'k2', itemId: 'B', quantity: 1, customer: 0, orderId: 'o2', status: 202, retries: 0 },
    { index: 3, key: 'k3', itemId: 'B', quantity: 1, customer: 1, orderId: 'o3', status: 202, retries: 0 },
  ];
  const itemRows = [
    { sk: 'ITEM', id: 'A', stock: 3, version: 4 },
    { sk: 'RESERVATION', orderId: 'o0', itemId: 'A', quantity: 2, status: 'RESERVED', createdAt: at(1_000) },
    { sk: 'RESERVATION', orderId: 'o1', itemId: 'A', quantity: 3, status: 'RESERVED', createdAt: at(2_000) },
    { sk: 'RESERVATION', orderId: 'o2', itemId: 'B', quantity: 1, status: 'RESERVED', createdAt: at(3_000) },
    { sk: 'RESERVATION', orderId: 'o3', itemId: 'B', quantity: 1, status: 'REJECTED', reason: 'ITEM_NOT_FOUND', createdAt: at(11_000) },
  ];
  const orderRows = [
    { sk: 'ORDER', id: 'o0', itemId: 'A', quantity: 2, status: 'CONFIRMED' },
    { sk: 'ORDER', id: 'o1', itemId: 'A', quantity: 3, status: 'CONFIRMED' },
    { sk: 'ORDER', id: 'o2', itemId: 'B', quantity: 1, status: 'CONFIRMED' },
    { sk: 'ORDER', id: 'o3', itemId: 'B', quantity: 1, status: 'REJECTED', reason: 'ITEM_NOT_FOUND' },
    { sk: 'IDEMPOTENCY', id: 'k0' },
  ];
  const notificationRows = ['o0', 'o1', 'o2', 'o3'].map((orderId, i) => ({ eventId: `e${i}`, orderId, status: 'SENT' }));
  return { workload: { items, orders, idempotentRetries: 1, idempotencyProblems: [] }, itemRows, orderRows, notificationRows, dlqDepths: { 'x-dlq': 0 } };
};

/** @param {(input: any) => void} breakIt */
const violationsAfter = (breakIt) => {
  const input = healthy();
  breakIt(input);
  return judge(input).violations;
};

describe('the soak invariants', () => {
  it('hold for a correct run, with its figures', () => {
    const { figures, violations } = judge(healthy());
    assert.deepEqual(violations, []);
    assert.deepEqual(
      { accepted: figures.accepted, confirmed: figures.confirmed, rejectedBy: figures.rejectedBy, notified: figures.notified, lost: figures.lost, duplicates: figures.duplicates, restocks: figures.restocks, deletes: figures.deletes },
      { accepted: 4, confirmed: 3, rejectedBy: { ITEM_NOT_FOUND: 1 }, notified: 4, lost: 0, duplicates: 0, restocks: 1, deletes: 1 },
    );
  });

  /** @type {Record<string, (input: any) => unknown>} */
  const cases = {
    'stock that does not add up': (i) => (i.itemRows[0].stock = 4),
    'a negative stock in the table': (i) => {
      i.itemRows[0].stock = -1;
      i.workload.items[0].restocked = -4;
    },
    'a negative stock the API showed': (i) => i.workload.items[0].seenStocks.push(-1),
    'a deleted item whose confirmed orders exceed its stock': (i) => (i.orderRows[2].quantity = i.workload.orders[2].quantity = i.itemRows[3].quantity = 5),
    'a lost order (still PENDING)': (i) => (i.orderRows[1].status = 'PENDING'),
    'a lost order (no row)': (i) => i.orderRows.splice(1, 1),
    'a duplicate order row': (i) => i.orderRows.push({ sk: 'ORDER', id: 'o9', itemId: 'A', quantity: 1, status: 'REJECTED', reason: 'OUT_OF_STOCK' }),
    'a confirmed order without its reservation': (i) => (i.itemRows[1].status = 'REJECTED'),
    'a rejection without a reason': (i) => delete i.orderRows[3].reason,
    'an order reserved after its item’s delete but confirmed': (i) => {
      i.orderRows[3].status = 'CONFIRMED';
      delete i.orderRows[3].reason;
    },
    'ITEM_NOT_FOUND for an item never deleted': (i) => {
      i.orderRows[1].status = 'REJECTED';
      i.orderRows[1].reason = 'ITEM_NOT_FOUND';
      i.itemRows[2].status = 'REJECTED';
      i.itemRows[0].stock = 6;
    },
    'a missing notification': (i) => i.notificationRows.pop(),
    'a notification not sent': (i) => (i.notificationRows[0].status = 'SENDING'),
    'two notifications for one order': (i) => i.notificationRows.push({ eventId: 'e9', orderId: 'o0', status: 'SENT' }),
    'a message in a DLQ': (i) => (i.dlqDepths['x-dlq'] = 1),
    'an Idempotency-Key answering two orders': (i) => i.workload.idempotencyProblems.push('Idempotency-Key k0 answered 2 orders'),
  };
  for (const [name, breakIt] of Object.entries(cases)) {
    it(`catch ${name}`, () => assert.notDeepEqual(violationsAfter(breakIt), []));
  }

  it('accept a stock that differs by restocks whose answer was lost (5xx), and no other difference', () => {
    assert.deepEqual(
      violationsAfter((i) => {
        i.workload.items[0].ambiguous = [2, 4];
        i.itemRows[0].stock = 3 + 6;
      }),
      [],
    );
    assert.notDeepEqual(
      violationsAfter((i) => {
        i.workload.items[0].ambiguous = [2, 4];
        i.itemRows[0].stock = 3 + 5;
      }),
      [],
    );
  });

  it('allow deliberately poisoned messages in a DLQ, no more', () => {
    assert.deepEqual(violationsAfter((i) => (i.dlqDepths['x-dlq'] = 2)).length, 1);
    const input = healthy();
    input.dlqDepths['x-dlq'] = 2;
    assert.deepEqual(judge({ ...input, allowDlq: { 'x-dlq': 2 } }).violations, []);
  });
});
