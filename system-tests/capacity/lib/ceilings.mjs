// Each AWS limit the order saga meets, with the order rate (orders/s on one
// item) at which it binds, for docs/capacity.md. The DynamoDB partition rows
// come from the partition model (@platform/capacity); the rest are the quotas'
// arithmetic with this repo's settings. Quotas: the default of a new account
// in us-east-1, as the source says.
import { analyticCeiling, DYNAMODB_PARTITION_LIMITS, simulatePartitions } from '@platform/capacity/lib/partitions';
import { refusalUses, reservationUses } from './hot-item.mjs';

/**
 * @typedef {{ stageRateLimit: number, stageBurstLimit: number, maximumConcurrency: number, batchSize: number, reserveRecordMs: number,
 *   placeOrderMs: number, requestsPerOrder: number, publishesPerOrder: { singleRow: number, sharded: number }, eventSourceConcurrency: number }} Settings
 */

/**
 * This repo's settings (serverless.yml, infra/serverless/base.cjs) and the
 * assumptions the arithmetic needs. Durations are per record or request in
 * AWS, in-region; measure them with the bench (npm run bench) or in CloudWatch
 * (Duration) and pass them in.
 * @type {Readonly<Settings>}
 */
export const SETTINGS = Object.freeze({
  /** base.cjs routeThrottling: per route, so POST /orders alone. */
  stageRateLimit: 50,
  stageBurstLimit: 100,
  /** Each SQS event source mapping's maximumConcurrency, and reserveStock's batch (records answered one after another). */
  maximumConcurrency: 5,
  batchSize: 10,
  /** Assumed: one reserveStock record (a TransactWriteItems in-region, plus the handler's own work). */
  reserveRecordMs: 20,
  /** Assumed: POST /orders (PutItem of the order and its Idempotency-Key, in one transaction). */
  placeOrderMs: 50,
  /** HTTP requests a customer makes per order: the POST and one GET /orders/{id}. */
  requestsPerOrder: 2,
  /** Publishes to SNS per order: order.placed, stock.reserved, order.confirmed, the customer's notification, and item.updated when the item row holds the stock. */
  publishesPerOrder: { singleRow: 5, sharded: 4 },
  /** Concurrency the event source mappings can hold: three SQS mappings at 5, two stream relays (one shard each, assumed). */
  eventSourceConcurrency: 3 * 5 + 2,
});

/** The quotas, with where they are published. */
export const QUOTAS = Object.freeze({
  partition: { ...DYNAMODB_PARTITION_LIMITS, source: /** @type {string} */ (DYNAMODB_PARTITION_LIMITS.sources[0]) },
  lambdaConcurrency: { value: 1000, source: 'https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html' },
  sqsScaling: {
    value: 300,
    what: 'an SQS event source starts with 5 concurrent batches and adds up to 300 a minute, at most 1,000 (maximumConcurrency: 2 to 1,000)',
    source: 'https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html',
  },
  snsPublish: { value: 30000, what: 'Publish messages per second, us-east-1', source: 'https://docs.aws.amazon.com/general/latest/gr/sns.html' },
  apiGatewayAccount: {
    value: 10000,
    burst: 5000,
    what: 'HTTP API requests per second per account and region (burst 5,000)',
    source: 'https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html',
  },
});

/**
 * The order rate at which each limit binds, lowest first: the first row is the ceiling.
 * @param {{ shards: number, itemKb?: number, settings?: Settings }} options
 * @returns {Array<{ limit: string, quota: string, ordersPerSecond: number, how: string, source: string }>}
 */
export const ceilings = ({ shards, itemKb = 1, settings = SETTINGS }) => {
  const reservation = analyticCeiling(reservationUses({ shards, itemKb, spread: 'even' }));
  const refusal = analyticCeiling(refusalUses({ shards, itemKb }));
  const publishes = shards === 1 ? settings.publishesPerOrder.singleRow : settings.publishesPerOrder.sharded;
  const httpSecondsPerOrder = settings.placeOrderMs / 1000;
  const rows = [
    {
      limit: 'API Gateway stage throttle (this repo), POST /orders',
      quota: `${settings.stageRateLimit} rps, burst ${settings.stageBurstLimit}`,
      ordersPerSecond: settings.stageRateLimit,
      how: 'one POST per order; the route throttle is per route',
      source: 'infra/serverless/base.cjs (httpApiRateLimit, httpApiBurstLimit)',
    },
    {
      limit: 'reserveStock: SQS event source, maximumConcurrency',
      quota: `${settings.maximumConcurrency} batches of ${settings.batchSize}, records one after another`,
      ordersPerSecond: (settings.maximumConcurrency * 1000) / settings.reserveRecordMs,
      how: `${settings.maximumConcurrency} × 1,000 ms / ${settings.reserveRecordMs} ms a record`,
      source: QUOTAS.sqsScaling.source,
    },
    {
      limit: `DynamoDB partition, ${shards === 1 ? 'the item row' : `each of ${shards} stock shards`} (orders that get stock)`,
      quota: '1,000 WCU/s, 3,000 RCU/s per partition key',
      ordersPerSecond: reservation.perSecond,
      how: `${reservation.unitsPerRequest} ${reservation.unit} units per order on ${reservation.key}`,
      source: QUOTAS.partition.source,
    },
    {
      limit: 'DynamoDB partition, refusals after the sell-out',
      quota: '1,000 WCU/s, 3,000 RCU/s per partition key',
      ordersPerSecond: refusal.perSecond,
      how: `${refusal.unitsPerRequest} ${refusal.unit} units per refusal on ${refusal.key}`,
      source: QUOTAS.partition.source,
    },
    {
      limit: 'API Gateway HTTP API, account and region',
      quota: '10,000 rps, burst 5,000',
      ordersPerSecond: QUOTAS.apiGatewayAccount.value / settings.requestsPerOrder,
      how: `${settings.requestsPerOrder} requests per order, shared by every API of the account`,
      source: QUOTAS.apiGatewayAccount.source,
    },
    {
      limit: 'SNS Publish, account and region',
      quota: '30,000 messages/s',
      ordersPerSecond: QUOTAS.snsPublish.value / publishes,
      how: `${publishes} publishes per order`,
      source: QUOTAS.snsPublish.source,
    },
    {
      limit: 'Lambda concurrency, account and region',
      quota: '1,000',
      ordersPerSecond: (QUOTAS.lambdaConcurrency.value - settings.eventSourceConcurrency) / httpSecondsPerOrder,
      how: `(1,000 − ${settings.eventSourceConcurrency} held by event sources) / ${settings.placeOrderMs} ms of POST /orders per order`,
      source: QUOTAS.lambdaConcurrency.source,
    },
  ];
  if (shards === 1) {
    const index = analyticCeiling(() => [{ key: 'items/gsi1:ITEM', writeUnits: itemKb }]);
    rows.push({
      limit: 'DynamoDB partition, gsi1 key ITEM (every item of the catalogue)',
      quota: '1,000 WCU/s per partition key',
      ordersPerSecond: index.perSecond,
      how: `${itemKb} WCU per order of any item: the item row's change is an index write`,
      source: QUOTAS.partition.source,
    });
  }
  return rows.sort((a, b) => a.ordersPerSecond - b.ordersPerSecond);
};

/**
 * The partition model run on a flash sale: `offered` orders a second at one
 * item for `seconds`, every one getting stock (the sale's first phase), each
 * reservation retried by the SDK when throttled.
 * @param {{ shards: number, offered: number, seconds?: number, itemKb?: number, seed?: number }} options
 */
export const simulateFlashSale = ({ shards, offered, seconds = 10, itemKb = 1, seed = 1 }) => {
  const result = simulatePartitions({ streams: [{ name: 'reservations', perSecond: offered, uses: reservationUses({ shards, itemKb }) }], seconds, seed });
  const reservations = /** @type {import('@platform/capacity/lib/partitions').StreamResult} */ (result.streams.reservations);
  return { shards, ...reservations, analytic: analyticCeiling(reservationUses({ shards, itemKb, spread: 'even' })).perSecond };
};
