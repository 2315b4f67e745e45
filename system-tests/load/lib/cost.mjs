// What the cost model prices, in this scenario's words: one order is one
// POST /orders followed to its decision on the bus and its notification (the
// paced pipeline's orders, all confirmed: stock to spare); one item read is
// one GET /items/{id}. The model itself (@platform/cost) knows neither: it
// gets the counts the stack's usage meter took during those phases, divided
// by these units.
import { buildCostInput } from '@platform/bench/lib/cost';

export const ITEM_READ_ROUTE = 'GET /items/{id}';

/**
 * Deployed stages trace every function (infra/serverless/base.cjs: provider.tracing.lambda on every
 * stage but local); the local templates, compiled for the local stage, never do.
 */
const TRACED_WHEN_DEPLOYED = true;

/** @param {Record<string, any>} delta the GET load's usage */
export const itemReadsOf = (delta) => Object.values(delta.http?.[ITEM_READ_ROUTE] ?? {}).reduce((sum, counts) => sum + (counts.requests ?? 0), 0);

/**
 * The cost model's input from the phases that ran: orders from the paced pipeline (or, when
 * only the saturated one ran, from it: its mix of confirmed and rejected orders), item reads
 * from the GET load. Undefined when neither ran.
 * @param {Record<string, any>} usage  { get?, pipeline?, paced? }: each { delta, units }
 */
export const costInputOf = (usage) => {
  const orders = usage.paced ?? usage.pipeline;
  const work = [];
  if (orders && orders.units > 0) {
    work.push({ unit: 'order', per: 1000, units: orders.units, delta: orders.delta, what: usage.paced ? 'the paced pipeline' : 'the saturated pipeline (its orders confirmed or rejected)' });
  }
  if (usage.get && itemReadsOf(usage.get.delta) > 0) {
    work.push({ unit: 'item read', per: 1_000_000, units: itemReadsOf(usage.get.delta), delta: usage.get.delta, what: `the ${ITEM_READ_ROUTE} load` });
  }
  if (work.length === 0) return undefined;
  const notes = [
    'One order: one POST /orders, followed to its decision and its notification; one item read: one GET /items/{id}. The counts are those of every function, table, topic, queue and route while the phase ran, divided by the orders it decided (or the reads it made).',
    'X-Ray: deployed stages trace every function (infra/serverless/base.cjs), so the model prices traces at the default sampling rule although the local stack traces nothing.',
  ];
  if (!usage.get) notes.push('The GET /items/{id} load did not run: no cost per item read (run the bench with --only get).');
  return buildCostInput({ work, traced: TRACED_WHEN_DEPLOYED, notes });
};
