// The body of a stage's CloudWatch dashboard (the platform stack's
// `event-bus-<stage>`), as an Fn::Sub over its JSON so that ARNs and the
// region resolve at deploy time. It names nothing it would have to import:
//   - each service's health alarm by its deterministic name (names.cjs);
//   - the business metrics by namespace and metric name;
//   - Lambda, SQS and API Gateway metrics by CloudWatch search expressions,
//     restricted to the stage by name, so a new function or queue shows up
//     without a change here.
// Body structure: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
// Search syntax:  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/search-expression-syntax.html
'use strict';

const { healthAlarmName, metricsNamespace } = require('./names.cjs');

const PERIOD = 300; // a graph point per 5 minutes; alarms evaluate per minute
const WIDTH = 24;
const REGION = '${AWS::Region}';
/** @param {string} name */
const alarmArn = (name) => `arn:\${AWS::Partition}:cloudwatch:\${AWS::Region}:\${AWS::AccountId}:alarm:${name}`;

/** The business metrics, as the services emit them with Powertools Metrics (dimension `service`, `reason` on rejections). */
const BUSINESS_METRICS = [
  { title: 'Orders', metrics: ['OrdersPlaced', 'OrdersConfirmed', 'OrdersRejected'] },
  { title: 'Stock answers', metrics: ['StockReserved', 'StockRejected'] },
  { title: 'Events and notifications', metrics: ['EventsPublished', 'NotificationsSent'] },
  { title: 'Records failed, and deferred for lack of time (reported for retry)', metrics: ['RecordsFailed', 'RecordsDeferred'] },
  // Written by order-processor's sweep every 5 minutes, 0 included: a line above 0 is orders no hop will decide.
  { title: 'Orders stuck in PENDING (sweep, per 5 minutes)', metrics: ['OrdersStuckPending'] },
  { title: 'Cold starts', metrics: ['ColdStart'] },
];
const BUSINESS_METRIC_NAMES = BUSINESS_METRICS.flatMap((group) => group.metrics);

/**
 * One graph of search expressions; `searches` are [id, search term, statistic, label?]. Its row sets `y`.
 * @param {{ title: string, searches: string[][], x: number, width?: number, height?: number, stat?: string }} options
 */
const graph = ({ title, searches, x, width = 12, height = 6, stat = 'Sum' }) => ({
  type: 'metric',
  x,
  width,
  height,
  properties: {
    title,
    region: REGION,
    view: 'timeSeries',
    stacked: false,
    period: PERIOD,
    stat,
    metrics: searches.map(([id, search, statistic, label]) => [
      { id, expression: `SEARCH('${search}', '${statistic}', ${PERIOD})`, ...(label && { label }) },
    ]),
  },
});

/**
 * The dashboard body for `stage`, listing the health alarm of each of `services`.
 * @param {{ stage: string, services: string[] }} options
 */
function dashboardBody({ stage, services }) {
  const namespace = metricsNamespace(stage);
  // Lambda, SQS and API Gateway names carry the stage as a token (items-api-dev-createItem):
  // a partial match on it keeps other stages' resources out.
  /** @param {string} dimension */
  const ofStage = (dimension) => `${dimension}=${stage}`;
  /** @type {object[]} */
  const widgets = [];
  let y = 0;
  /** @param {number} height @param {...object} items */
  const row = (height, ...items) => {
    widgets.push(...items.map((item) => ({ ...item, y })));
    y += height;
  };

  row(2, {
    type: 'text',
    x: 0,
    width: WIDTH,
    height: 2,
    properties: {
      markdown:
        `## Platform, stage \`${stage}\`\n` +
        `Alarms notify the SNS topic of the stage's platform stack; what each one means and what to do: docs/operating.md. ` +
        `Business metrics: namespace \`${namespace}\`. Traces: X-Ray trace map, group by service.`,
    },
  });
  row(3, {
    type: 'alarm',
    x: 0,
    width: WIDTH,
    height: 3,
    properties: {
      title: 'Service health (ALARM when any alarm of the service is; open one to see which)',
      alarms: services.map((service) => alarmArn(healthAlarmName(service, stage))),
      sortBy: 'stateUpdatedTimestamp',
    },
  });
  // Business metrics, by any dimensions they carry: a search by exact
  // namespace and metric name shows one line per service (and per reason).
  const business = BUSINESS_METRICS.map(({ title, metrics }, i) =>
    graph({
      title,
      x: (i % 2) * 12,
      width: i === BUSINESS_METRICS.length - 1 && i % 2 === 0 ? WIDTH : 12,
      searches: metrics.map((metric, j) => [`b${i}m${j}`, `Namespace="${namespace}" MetricName="${metric}"`, 'Sum']),
    }),
  );
  for (let i = 0; i < business.length; i += 2) row(6, ...business.slice(i, i + 2));
  row(
    6,
    graph({
      title: 'Lambda errors',
      x: 0,
      searches: [['errors', `{AWS/Lambda,FunctionName} MetricName="Errors" ${ofStage('FunctionName')}`, 'Sum']],
    }),
    graph({
      title: 'Lambda throttles',
      x: 12,
      searches: [['throttles', `{AWS/Lambda,FunctionName} MetricName="Throttles" ${ofStage('FunctionName')}`, 'Sum']],
    }),
  );
  row(
    6,
    graph({
      title: 'Dead-letter queues: messages waiting',
      x: 0,
      stat: 'Maximum',
      searches: [['dlq', `{AWS/SQS,QueueName} MetricName="ApproximateNumberOfMessagesVisible" ${ofStage('QueueName')} AND QueueName=dlq`, 'Maximum']],
    }),
    graph({
      title: 'Consumer queues: age of the oldest message (s)',
      x: 12,
      stat: 'Maximum',
      searches: [['age', `{AWS/SQS,QueueName} MetricName="ApproximateAgeOfOldestMessage" ${ofStage('QueueName')} NOT QueueName=dlq`, 'Maximum']],
    }),
  );
  row(
    6,
    graph({
      title: 'Stream consumers (outbox relays): iterator age (ms)',
      x: 0,
      stat: 'Maximum',
      searches: [['iterator', `{AWS/Lambda,FunctionName} MetricName="IteratorAge" ${ofStage('FunctionName')}`, 'Maximum']],
    }),
    // HTTP APIs have no name dimension: every HTTP API of the account and Region, by ApiId.
    graph({
      title: 'HTTP APIs: 5xx and requests (every HTTP API of the Region, by ApiId)',
      x: 12,
      searches: [
        ['api5xx', '{AWS/ApiGateway,ApiId} MetricName="5xx"', 'Sum', '5xx'],
        ['apiCount', '{AWS/ApiGateway,ApiId} MetricName="Count"', 'Sum', 'requests'],
      ],
    }),
  );

  return { 'Fn::Sub': JSON.stringify({ start: '-PT6H', periodOverride: 'inherit', widgets }) };
}

module.exports = { BUSINESS_METRIC_NAMES, dashboardBody };
