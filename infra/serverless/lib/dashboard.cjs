// The body of a stage's CloudWatch dashboard (the platform stack's
// `event-bus-<stage>`), as an Fn::Sub over its JSON so that ARNs and the
// region resolve at deploy time. It names no service, so the platform stack
// needs nothing from the services' templates and a service's change (or a new
// service) never redeploys it:
//   - each service's health alarm, `<service>-<stage>-health` (names.cjs), by a
//     link to the alarms list searched by that name (an alarm widget would
//     have to list every alarm's ARN);
//   - per-service graphs by CloudWatch search expressions over the stage's
//     namespace and the `service` dimension every service's metrics carry, so
//     a service appears once it writes metrics;
//   - the business metrics by namespace and metric name, one line per service;
//   - Lambda, SQS and API Gateway metrics by search expressions restricted to
//     the stage by name, so a new function or queue shows up without a change here.
// Body structure: https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
// Search syntax:  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/search-expression-syntax.html
'use strict';

const { healthAlarmName, metricsNamespace } = require('./names.cjs');

const PERIOD = 300; // a graph point per 5 minutes; alarms evaluate per minute
const WIDTH = 24;
const REGION = '${AWS::Region}';
/**
 * The CloudWatch console's alarm list, searched for `text` (the stage's Region; the
 * console's own URL form, whose `~(…)` stays balanced inside a markdown link).
 * @param {string} text
 */
const alarmListUrl = (text) =>
  `https://\${AWS::Region}.console.aws.amazon.com/cloudwatch/home?region=\${AWS::Region}#alarmsV2:?~(search~'${text})`;

/** The business metrics, as the services emit them with Powertools Metrics (dimension `service`, `reason` on rejections). */
const BUSINESS_METRICS = [
  { title: 'Orders', metrics: ['OrdersPlaced', 'OrdersConfirmed', 'OrdersRejected'] },
  { title: 'Stock answers', metrics: ['StockReserved', 'StockRejected'] },
  { title: 'Events and notifications', metrics: ['EventsPublished', 'NotificationsSent'] },
  { title: 'Item images (uploads granted, images accepted, refused by reason)', metrics: ['ImageUploadsGranted', 'ImagesAccepted', 'ImagesRejected'] },
  // Written by order-processor's sweep every 5 minutes, 0 included: a line above 0 is orders no hop will decide.
  { title: 'Orders stuck in PENDING (sweep, per 5 minutes)', metrics: ['OrdersStuckPending'] },
  { title: 'Cold starts', metrics: ['ColdStart'] },
];
/** Counted by every service (handler-kit) with the `service` dimension alone: graphed per service, beside the health alarms. */
const SERVICE_HEALTH_METRICS = ['RecordsFailed', 'RecordsDeferred'];
const BUSINESS_METRIC_NAMES = [...BUSINESS_METRICS.flatMap((group) => group.metrics), ...SERVICE_HEALTH_METRICS];

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
 * The dashboard body for `stage`. It takes no list of services: what is per
 * service comes from search expressions, whatever services the stage runs.
 * @param {{ stage: string }} options
 */
function dashboardBody({ stage }) {
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
  const healthAlarms = healthAlarmName('', stage); // "-<stage>-health": the end of every service's health alarm name

  row(2, {
    type: 'text',
    x: 0,
    width: WIDTH,
    height: 2,
    properties: {
      markdown:
        `## Platform, stage \`${stage}\`\n` +
        `Alarms notify the SNS topic of the stage's platform stack; what each one means and what to do: docs/operating.md. ` +
        `Business metrics: namespace \`${namespace}\`, one line per service (dimension \`service\`). Traces: X-Ray trace map, group by service.`,
    },
  });
  // Per service, found by search: the health alarms by name, and what every
  // service counts with the `service` dimension alone (schema {namespace,service}).
  row(
    6,
    {
      type: 'text',
      x: 0,
      width: 8,
      height: 6,
      properties: {
        markdown:
          `### Service health\n` +
          `Each service has one composite alarm, \`<service>-${stage}-health\`, in ALARM while any alarm of the service is ` +
          `(its queues, DLQs, functions, stream consumers, HTTP API and its own metrics).\n\n` +
          `[Health alarms of \`${stage}\`](${alarmListUrl(healthAlarms)}) · [every alarm of \`${stage}\`](${alarmListUrl(`-${stage}-`)})\n\n` +
          `This dashboard names no service: the graphs find each one by search once it writes metrics.`,
      },
    },
    graph({
      title: 'Records failed, and deferred for lack of time (reported for retry), by service',
      x: 8,
      width: 16,
      searches: SERVICE_HEALTH_METRICS.map((metric, j) => [`s${j}`, `{${namespace},service} MetricName="${metric}"`, 'Sum']),
    }),
  );
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

module.exports = { BUSINESS_METRIC_NAMES, SERVICE_HEALTH_METRICS, dashboardBody };
