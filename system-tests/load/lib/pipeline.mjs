// The saga end to end: many orders over a few items, each followed from its
// 202 to its decision on the bus, its notification, and its row in the
// orders table. Two ways to submit them, sharing everything else:
//  - runPipeline, saturated: closed-loop clients as fast as the stack answers;
//    its items get less stock than they are ordered, so the run covers both
//    outcomes (CONFIRMED and OUT_OF_STOCK rejections);
//  - runPacedPipeline, open loop at a fixed rate the stack can keep up with,
//    so its decision latency is the pipeline's own, not time spent queueing.
import { scanTable } from '@platform/testing/scan-table';
import { startCapture, waitWhileProgressing } from '@platform/bench/lib/capture';
import { createAgent, isGood, limited, request } from '@platform/bench/lib/http-client';
import { openLoop } from '@platform/bench/lib/schedule';
import { percentile, sleep } from '@platform/bench/lib/stats';

export const ORDERS_TABLE = 'order-processor-local-orders';
export const NOTIFICATIONS_TABLE = 'notifier-local-notifications';

/** The events that decide an order, and those on its way there (for the stage breakdown). */
export const DECISIONS = ['order.confirmed', 'order.rejected'];
const STAGES = ['order.placed', 'stock.reserved', 'stock.rejected'];

/**
 * @typedef {import('@platform/bench/lib/capture').Capture} Capture
 * @typedef {import('@platform/bench/lib/capture').KeyEvents} OrderEvents  an order's events, by type
 */

/**
 * The bench's own queue on the bus, taking each order's saga events by its order id.
 * @param {{ endpoint: string }} options
 */
export const captureOrders = ({ endpoint }) => startCapture({ endpoint, decisions: DECISIONS, stages: STAGES, keyOf: (event) => event.data?.orderId });

/**
 * The writes one order needs on its way to a decision, read from the services:
 *  - placeOrder: one TransactWriteItems (conditional put of the order; with an
 *    Idempotency-Key also the key row, after a GetItem) — the bench sends none;
 *  - reserveStock: one 2-item TransactWriteItems (conditional stock update +
 *    conditional reservation put); a refusal is that transaction cancelled,
 *    a GetItem, and a conditional PutItem;
 *  - settleOrders: a GetItem, then one conditional UpdateItem (PENDING → decision).
 * Each is counted as one transaction's worth of storage work.
 */
export const WRITES_PER_ORDER = 3;
export const WRITES_NOTE =
  'one order to a decision = 3 conditional writes: placeOrder 1 TransactWriteItems, reserveStock 1 two-item TransactWriteItems, settleOrders 1 conditional UpdateItem (+2 GetItem); notifier then adds a conditional PutItem + UpdateItem';

/**
 * Creates `count` items through the API.
 * @param {{ apiUrl: string, count: number, stock: number, headers: Record<string, string> }} options  headers: a staff token's
 * @returns {Promise<string[]>}
 */
export const createItems = async ({ apiUrl, count, stock, headers }) => {
  const agent = createAgent();
  const answers = await limited(
    4,
    Array.from({ length: count }, (_, i) => () => request({ baseUrl: apiUrl, method: 'POST', path: '/items', body: { name: `bench item ${i}`, priceCents: 2500, stock }, headers, agent })),
  );
  agent.destroy();
  const failed = answers.find((a) => a.status !== 201 || !a.json?.id);
  if (failed) throw new Error(`POST /items failed while setting up the bench: ${failed.status} ${failed.error ?? failed.text.slice(0, 300)}`);
  return answers.map((a) => a.json.id);
};

/**
 * Splits each decided order's time into the saga's stages, from the events
 * seen on the bus (bus arrival times and the occurredAt each service stamped).
 * @param {{ acceptedAt: number, events: OrderEvents }[]} orders
 */
const stageBreakdown = (orders) => {
  /** @type {number[]} */ const relayPlaced = [];
  /** @type {number[]} */ const reserve = [];
  /** @type {number[]} */ const relayAnswer = [];
  /** @type {number[]} */ const settle = [];
  /** @type {number[]} */ const relayDecision = [];
  const stages = {
    'placeOrder 202 → order.placed on bus (orders outbox relay)': relayPlaced,
    'order.placed on bus → stock answered (SQS poll + reserveStock)': reserve,
    'stock answered → answer on bus (items outbox relay)': relayAnswer,
    'answer on bus → order decided (SQS poll + settleOrders)': settle,
    'order decided → decision on bus (orders outbox relay)': relayDecision,
  };
  for (const { acceptedAt, events } of orders) {
    const placed = events['order.placed'];
    const answer = events['stock.reserved'] ?? events['stock.rejected'];
    const decision = events['order.confirmed'] ?? events['order.rejected'];
    if (!placed || !answer || !decision) continue;
    relayPlaced.push(placed.busAt - acceptedAt);
    reserve.push(answer.occurredAt - placed.busAt);
    relayAnswer.push(answer.busAt - answer.occurredAt);
    settle.push(decision.occurredAt - answer.busAt);
    relayDecision.push(decision.busAt - decision.occurredAt);
  }
  return Object.entries(stages).map(([stage, values]) => ({ stage, p50: percentile(values, 50), p99: percentile(values, 99), samples: values.length }));
};

/**
 * @typedef {{ itemId: string, answer: import('@platform/bench/lib/http-client').Answer, sentAt: number, acceptedAt: number }} Submission
 * @typedef {(i: number) => Promise<Submission>} Send submits order number i (round robin over the items)
 * @typedef {{
 *   apiUrl: string, capture: Capture,
 *   dynamodb: import('@aws-sdk/client-dynamodb').DynamoDBClient,
 *   itemIds: string[], stock: number, orders: number,
 *   stallMs: number, capMs: number, onProgress?: (detail: string) => void,
 *   cpu?: import('@platform/bench/lib/cpu').CpuMeter, customer: Record<string, string>,
 * }} PipelineOptions  customer: the headers (a customer's token) every order is placed with
 */

/**
 * What both pipeline phases share: submits `orders` orders the way `submit`
 * schedules them, waits for their decisions on the bus (until all are
 * decided, or no progress for `stallMs`, or `capMs`), then for their
 * notifications, and checks each against the orders table.
 * @param {PipelineOptions & { cpuPhase: { id: string, what: string }, submit: (send: Send) => Promise<Submission[]> }} options
 */
const followOrders = async ({ apiUrl, capture, dynamodb, itemIds, stock, orders, stallMs, capMs, onProgress, cpu, cpuPhase, customer, submit }) => {
  const agent = createAgent();
  const started = Date.now();
  // CPU from the first submission to the last decision seen: marked whenever
  // the count of decisions grows, so the wait after the last one is not counted.
  const cpuRun = cpu?.start();
  let cpuMarkedAt = -1;
  let answered = 0;
  // Round robin: every item gets the same number of orders, so the expected
  // split between confirmed and rejected is known in advance.
  /** @type {Send} */
  const send = async (i) => {
    const itemId = /** @type {string} */ (itemIds[i % itemIds.length]);
    const sentAt = Date.now();
    const answer = await request({ baseUrl: apiUrl, method: 'POST', path: '/orders', body: { itemId, quantity: 1 }, headers: customer, agent });
    answered += 1;
    if (answered % 50 === 0) onProgress?.(`${answered}/${orders} submitted, ${capture.decisionCount()} decided`);
    return { itemId, answer, sentAt, acceptedAt: Date.now() };
  };
  const submissions = await submit(send);
  agent.destroy();
  const submitMs = Date.now() - started;
  const accepted = submissions.filter((s) => s.answer.status === 202 && isGood(s.answer) && typeof s.answer.json.orderId === 'string');
  const acceptedIds = accepted.map((s) => /** @type {string} */ (s.answer.json.orderId));

  const decidedCount = () => {
    const count = acceptedIds.filter((id) => capture.decisionOf(id)).length;
    if (count > cpuMarkedAt) {
      cpuMarkedAt = count;
      cpuRun?.mark();
    }
    return count;
  };
  const decisionWait = await waitWhileProgressing({
    progress: decidedCount,
    done: (count) => count >= acceptedIds.length,
    stallMs,
    capMs,
    onTick: (count) => onProgress?.(`${count}/${acceptedIds.length} decided`),
  });

  const decided = accepted
    .map((s) => ({ ...s, orderId: /** @type {string} */ (s.answer.json.orderId) }))
    .map((s) => ({ ...s, decision: capture.decisionOf(s.orderId), events: capture.eventsOf(s.orderId) ?? {} }))
    .filter((s) => s.decision);
  const cpuUse = cpuRun?.stop({ ...cpuPhase, unit: 'order', completed: decided.length });
  const latencies = decided.map((s) => /** @type {{ busAt: number }} */ (s.decision).busAt - s.acceptedAt);
  const lastDecisionAt = Math.max(started, ...decided.map((s) => /** @type {{ busAt: number }} */ (s.decision).busAt));

  // Notifications: one SENT row per decided order in the notifier's table.
  const wanted = new Set(decided.map((s) => s.orderId));
  /** @type {Record<string, any>[]} */
  let notificationRows = [];
  const sentCount = async () => {
    notificationRows = (await scanTable(dynamodb, NOTIFICATIONS_TABLE)).filter((row) => wanted.has(row.orderId));
    return notificationRows.filter((row) => row.status === 'SENT').length;
  };
  const notificationWait = await waitWhileProgressing({
    progress: sentCount,
    done: (count) => count >= wanted.size,
    stallMs: Math.min(stallMs, 20_000),
    capMs: Math.min(capMs, 60_000),
    intervalMs: 1_000,
    onTick: (count) => onProgress?.(`${count}/${wanted.size} notifications sent`),
  });
  const sentRows = notificationRows.filter((row) => row.status === 'SENT');
  const notifiedOrders = new Set(sentRows.map((row) => row.orderId));

  // Lost: accepted, no decision on the bus by the deadline. The orders table
  // says whether the saga stalled (still PENDING) or only the publish is missing.
  const undecided = acceptedIds.filter((id) => !capture.decisionOf(id));
  const orderRows = new Map((await scanTable(dynamodb, ORDERS_TABLE)).filter((row) => row.sk === 'ORDER').map((row) => [row.id, row]));
  const lostStatus = { PENDING: 0, decidedWithoutEvent: 0, missingFromTable: 0 };
  for (const id of undecided) {
    const status = orderRows.get(id)?.status;
    if (status === undefined) lostStatus.missingFromTable += 1;
    else if (status === 'PENDING') lostStatus.PENDING += 1;
    else lostStatus.decidedWithoutEvent += 1;
  }
  // The bus and the table must agree on every decision the bench saw.
  const disagreements = decided.filter((s) => {
    const row = orderRows.get(s.orderId);
    return !row || `order.${String(row.status).toLowerCase()}` !== s.decision?.type;
  }).length;

  const confirmedPerItem = new Map();
  for (const s of decided) if (s.decision?.type === 'order.confirmed') confirmedPerItem.set(s.itemId, (confirmedPerItem.get(s.itemId) ?? 0) + 1);
  const oversold = [...confirmedPerItem.values()].reduce((total, n) => total + Math.max(0, n - stock), 0);
  // Round robin: the first `orders % items` items get one order more than the rest.
  const ordersOfItem = (/** @type {number} */ i) => Math.floor(orders / itemIds.length) + (i < orders % itemIds.length ? 1 : 0);
  const reasons = /** @type {Record<string, number>} */ ({});
  for (const s of decided) if (s.decision?.reason) reasons[s.decision.reason] = (reasons[s.decision.reason] ?? 0) + 1;
  const sentAts = submissions.map((s) => s.sentAt);

  const badSubmission = submissions.find((s) => !accepted.includes(s));
  return {
    orders,
    items: itemIds.length,
    stockPerItem: stock,
    submitted: submissions.length,
    accepted: accepted.length,
    submitErrors: submissions.length - accepted.length,
    submitErrorSample: badSubmission && `${badSubmission.answer.status} ${(badSubmission.answer.error ?? badSubmission.answer.text).slice(0, 160)}`,
    submitMs,
    // The rate at which orders went out: the last send's distance from the first.
    sendRate: sentAts.length > 1 ? (sentAts.length - 1) / Math.max(0.001, (Math.max(...sentAts) - Math.min(...sentAts)) / 1000) : Number.NaN,
    submitRate: accepted.length / (submitMs / 1000),
    decided: decided.length,
    confirmed: decided.filter((s) => s.decision?.type === 'order.confirmed').length,
    rejected: decided.filter((s) => s.decision?.type === 'order.rejected').length,
    rejectReasons: reasons,
    expectedConfirmed: itemIds.reduce((total, _, i) => total + Math.min(stock, ordersOfItem(i)), 0),
    oversold,
    tableDisagreements: disagreements,
    decisionWindowMs: lastDecisionAt - started,
    decidedPerSecond: decided.length / Math.max(0.001, (lastDecisionAt - started) / 1000),
    decisionP50: percentile(latencies, 50),
    decisionP99: percentile(latencies, 99),
    decisionWait: decisionWait.reason,
    stages: stageBreakdown(decided),
    notificationsSent: sentRows.length,
    ordersWithoutNotification: decided.filter((s) => !notifiedOrders.has(s.orderId)).length,
    notificationWait: notificationWait.reason,
    lost: undecided.length,
    lostStatus,
    lostSample: undecided.slice(0, 3),
    cpu: cpuUse,
  };
};

/**
 * The saturated pipeline: a closed loop of `concurrency` clients, each
 * submitting its next order as soon as the previous one is answered, so the
 * stack runs as fast as it can (and its decision latency is mostly queueing).
 * @param {PipelineOptions & { concurrency: number }} options
 */
export const runPipeline = async ({ concurrency, ...options }) => ({
  submitConcurrency: concurrency,
  ...(await followOrders({
    ...options,
    cpuPhase: { id: 'pipeline', what: 'Pipeline' },
    submit: (send) => limited(concurrency, Array.from({ length: options.orders }, (_, i) => () => send(i))),
  })),
});

/**
 * The paced pipeline: an open loop, order i submitted at i / `rate` seconds
 * whatever became of the earlier ones (nothing waits for an answer before the
 * next send), so a slow stack cannot lower the offered rate. `rate × durationS`
 * orders; `sendLag` says how late the bench itself was on its own schedule.
 * @param {Omit<PipelineOptions, 'orders'> & { rate: number, durationS: number }} options
 */
export const runPacedPipeline = async ({ rate, durationS, ...options }) => {
  if (!(rate > 0) || !Number.isFinite(rate)) throw new Error(`the paced pipeline needs a positive rate, got ${rate}`);
  const orders = Math.max(1, Math.round(rate * durationS));
  /** @type {number[]} */
  let lags = [];
  const result = await followOrders({
    ...options,
    orders,
    cpuPhase: { id: 'paced-pipeline', what: `Pipeline paced at ${rate >= 100 ? Math.round(rate) : rate.toFixed(1)}/s` },
    submit: async (send) => {
      const loop = await openLoop({ rate, count: orders, send });
      lags = loop.lags;
      return loop.results;
    },
  });
  return { pace: rate, durationS, ...result, sendLagP50: percentile(lags, 50), sendLagP99: percentile(lags, 99), sendLagMax: Math.max(0, ...lags) };
};

/**
 * Waits for the decisions of orders the bench placed earlier (the cold burst),
 * so their saga work does not run under the measurements that follow.
 * @param {{ capture: Capture, orderIds: string[],
 *   stallMs: number, capMs: number, onProgress?: (detail: string) => void }} options
 */
export const drain = async ({ capture, orderIds, stallMs, capMs, onProgress }) => {
  const wait = await waitWhileProgressing({
    progress: () => orderIds.filter((id) => capture.decisionOf(id)).length,
    done: (count) => count >= orderIds.length,
    stallMs,
    capMs,
    onTick: (count) => onProgress?.(`${count}/${orderIds.length} decided`),
  });
  // The notifier runs after the decision is published; give it a moment too.
  await sleep(1_000);
  return { decided: wait.count, of: orderIds.length, reason: wait.reason };
};
