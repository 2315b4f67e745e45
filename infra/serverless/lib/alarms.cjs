// The CloudWatch alarms of one compiled service template, derived from what
// the template holds, so nothing can be left without one:
//   every dead-letter queue            any message                    (ApproximateNumberOfMessagesVisible)
//   every queue that feeds a function  its oldest message is too old  (ApproximateAgeOfOldestMessage)
//   every function                     errors, throttles              (Errors, Throttles)
//   every function fed by a stream     it falls behind                (IteratorAge)
//   every HTTP API                     5xx rate                       (5xx / Count)
//   each metric the service lists      above its threshold            (custom.metricAlarms, its own metrics)
// plus one composite alarm per service, `<service>-<stage>-health`, ALARM
// when any of them is: the platform's dashboard lists those.
// Every alarm notifies the stage's alarm topic on ALARM and on OK.
// Thresholds, periods and their sources: docs/operating.md; the numbers
// start from CloudWatch's recommended alarms
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Best_Practice_Recommended_Alarms_AWS_Services.html).
'use strict';

const { alarmPrefix, healthAlarmName, metricsNamespace } = require('./names.cjs');

const PERIOD = 60; // seconds: every recommended alarm of Lambda, SQS and API Gateway uses 1-minute periods

const ALARMS = {
  // Any message at all: a dead letter is a message the system gave up on.
  // ApproximateNumberOfMessagesVisible, not NumberOfMessagesSent: a message
  // SQS moves there after maxReceiveCount is not counted as sent. `ignore`
  // missing data: SQS stops publishing the metrics of a queue nobody touches
  // for 6 hours, and the alarm must stay in ALARM while the message waits.
  deadLetters: { threshold: 0, comparison: 'GreaterThanThreshold', evaluationPeriods: 1, datapointsToAlarm: 1, treatMissingData: 'ignore' },
  // AWS: 50% above the longest expected time in the queue; for a message that
  // is retried that is VisibilityTimeout x maxReceiveCount. 15 of 15 minutes as recommended.
  oldestMessage: { factor: 1.5, comparison: 'GreaterThanOrEqualToThreshold', evaluationPeriods: 15, datapointsToAlarm: 15, treatMissingData: 'notBreaching' },
  // Handlers report a bad record or request as a batch item failure or a 4xx,
  // so Errors counts only crashes and timeouts: any, in 3 of 5 minutes.
  errors: { threshold: 0, comparison: 'GreaterThanThreshold', evaluationPeriods: 5, datapointsToAlarm: 3, treatMissingData: 'notBreaching' },
  // A throttled SQS batch goes back to its queue and uses up one of its 3 receives.
  throttles: { threshold: 1, comparison: 'GreaterThanOrEqualToThreshold', evaluationPeriods: 5, datapointsToAlarm: 3, treatMissingData: 'notBreaching' },
  // An outbox relay more than a minute behind its table for 5 minutes is stuck:
  // it normally lags by milliseconds, and records expire from the stream after 24 h.
  iteratorAge: { threshold: 60_000, comparison: 'GreaterThanThreshold', evaluationPeriods: 5, datapointsToAlarm: 5, treatMissingData: 'notBreaching' },
  // AWS: more than 5% of requests answered 5xx, 3 of 3 minutes.
  http5xx: { threshold: 0.05, comparison: 'GreaterThanThreshold', evaluationPeriods: 3, datapointsToAlarm: 3, treatMissingData: 'notBreaching' },
  // A service's own metric (serverless.yml custom.metricAlarms), e.g. OrdersStuckPending,
  // which a scheduled function writes every 5 minutes, 0 included: the highest value of
  // a 5-minute period above the threshold. `ignore` missing data: a period the
  // schedule's jitter left empty keeps the alarm where it is, until the next count.
  serviceMetric: { period: 300, comparison: 'GreaterThanThreshold', evaluationPeriods: 1, datapointsToAlarm: 1, treatMissingData: 'ignore' },
};

const SQS_DEFAULT_VISIBILITY_TIMEOUT = 30;

/**
 * A compiled template and its resources, as JSON: any shape CloudFormation takes.
 * @typedef {any} CfnTemplate
 * @typedef {any} CfnResource
 * @typedef {{ threshold: number, comparison: string, evaluationPeriods: number, datapointsToAlarm: number, treatMissingData: string }} Evaluation
 */

/** @param {unknown} value @returns {value is Record<string, any>} */
const isObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);
/** @param {unknown} value @returns {any} */
const parsedJson = (value) => (typeof value === 'string' ? JSON.parse(value) : value);
/** The logical ID that { Ref: id } or { "Fn::GetAtt": [id, attribute] } points at, if the value is one of those. */
/** @param {unknown} value @returns {any} a logical ID, or undefined */
const targetOf = (value) => {
  if (!isObject(value)) return undefined;
  if (typeof value.Ref === 'string') return value.Ref;
  const getAtt = value['Fn::GetAtt'];
  return Array.isArray(getAtt) ? getAtt[0] : typeof getAtt === 'string' ? getAtt.split('.')[0] : undefined;
};
/** @param {CfnTemplate} template @param {string} type */
const ofType = (template, type) => Object.entries(template.Resources ?? {}).filter(([, resource]) => resource.Type === type);
/** `HttpApi` -> `http-api`: a logical ID as a piece of an alarm name. @param {string} id */
const kebab = (id) => id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

/**
 * Where dead letters go, by resource type (the same list as tools/policy's deadLetterQueues rule).
 * @type {Record<string, (properties: Record<string, any>) => unknown>}
 */
const DEAD_LETTER_TARGETS = {
  'AWS::SQS::Queue': (p) => parsedJson(p.RedrivePolicy)?.deadLetterTargetArn,
  'AWS::SNS::Subscription': (p) => parsedJson(p.RedrivePolicy)?.deadLetterTargetArn,
  'AWS::Lambda::EventSourceMapping': (p) => p.DestinationConfig?.OnFailure?.Destination,
  'AWS::Lambda::EventInvokeConfig': (p) => p.DestinationConfig?.OnFailure?.Destination,
  'AWS::Lambda::Function': (p) => p.DeadLetterConfig?.TargetArn,
};

/** The function an event source mapping invokes (serverless names it by Fn::GetAtt Arn, or Ref). @param {CfnTemplate} template @param {CfnResource} mapping */
const mappedFunction = (template, mapping) => {
  const id = targetOf(mapping.Properties?.FunctionName);
  return template.Resources?.[id]?.Type === 'AWS::Lambda::Function' ? id : undefined;
};

/**
 * What in a template needs an alarm: its dead-letter queues, the queues that
 * feed a function (with the function), its functions, those fed by a stream,
 * and its HTTP APIs, each as logical IDs.
 * @param {CfnTemplate} template
 */
function alarmSubjects(template) {
  const resources = template.Resources ?? {};
  /** @param {string} id */
  const isQueue = (id) => resources[id]?.Type === 'AWS::SQS::Queue';
  /** @type {Set<string>} */
  const deadLetterQueues = new Set();
  for (const [, resource] of Object.entries(resources)) {
    const target = DEAD_LETTER_TARGETS[resource.Type]?.(resource.Properties ?? {});
    if (isQueue(targetOf(target))) deadLetterQueues.add(targetOf(target));
  }
  /** @type {Array<{ queueId: string, functionId: string | undefined }>} */
  const consumerQueues = [];
  /** @type {Set<string>} */
  const streamFunctions = new Set();
  for (const [, mapping] of ofType(template, 'AWS::Lambda::EventSourceMapping')) {
    const source = targetOf(mapping.Properties?.EventSourceArn);
    const functionId = mappedFunction(template, mapping);
    if (isQueue(source)) consumerQueues.push({ queueId: source, functionId });
    // Streams (DynamoDB, Kinesis) are read from a starting position; queues are not.
    else if (mapping.Properties?.StartingPosition !== undefined && functionId) streamFunctions.add(functionId);
  }
  return {
    deadLetterQueues: [...deadLetterQueues],
    consumerQueues,
    functions: ofType(template, 'AWS::Lambda::Function').map(([id]) => id),
    streamFunctions: [...streamFunctions],
    httpApis: ofType(template, 'AWS::ApiGatewayV2::Api')
      .filter(([, api]) => (api.Properties?.ProtocolType ?? 'HTTP') === 'HTTP')
      .map(([id]) => id),
  };
}

/**
 * The alarms of a compiled template, as { [logicalId]: resource }, plus its
 * health composite alarm; {} when there is nothing to watch.
 * @param {CfnTemplate} template the compiled CloudFormation template
 * @param {{ service: string, stage: string, alarmTopicArn: unknown,
 *   metricAlarms?: Record<string, { threshold: number, description: string }> }} options
 *   metricAlarms: alarms on the service's own metrics (namespace `Platform/<stage>`,
 *   dimension `service`), by metric name, from serverless.yml custom.metricAlarms
 */
function alarmsFor(template, { service, stage, alarmTopicArn, metricAlarms = {} }) {
  const resources = template.Resources ?? {};
  const prefix = alarmPrefix(service, stage);
  const subjects = alarmSubjects(template);
  /** @type {Record<string, CfnResource>} */
  const alarms = {};

  /** `<service>-<stage>-<what>`: a queue or function name already starts with the prefix. @param {string} id @param {unknown} literal @param {string} suffix */
  const nameOf = (id, literal, suffix) => {
    const base = typeof literal === 'string' && literal !== '' ? literal : `${prefix}${kebab(id)}`;
    return `${base.startsWith(prefix) ? base : `${prefix}${base}`}-${suffix}`;
  };
  /** @param {string} id @param {string} suffix */
  const queueName = (id, suffix) => nameOf(id, resources[id].Properties?.QueueName, suffix);
  /** @param {string} id @param {string} suffix */
  const functionName = (id, suffix) => nameOf(id, resources[id].Properties?.FunctionName, suffix);
  const notify = { ActionsEnabled: true, AlarmActions: [alarmTopicArn], OKActions: [alarmTopicArn] };
  /** @param {Evaluation} settings */
  const evaluation = ({ threshold, comparison, evaluationPeriods, datapointsToAlarm, treatMissingData }) => ({
    Threshold: threshold,
    ComparisonOperator: comparison,
    EvaluationPeriods: evaluationPeriods,
    DatapointsToAlarm: datapointsToAlarm,
    TreatMissingData: treatMissingData,
  });
  /**
   * @param {string} id
   * @param {{ name: string, description: string, namespace: string, metric: string, dimension: object, statistic: string, settings: Evaluation, period?: number }} alarm
   */
  const metricAlarm = (id, { name, description, namespace, metric, dimension, statistic, settings, period = PERIOD }) => {
    alarms[id] = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: name,
        AlarmDescription: description,
        Namespace: namespace,
        MetricName: metric,
        Dimensions: [dimension],
        Statistic: statistic,
        Period: period,
        ...evaluation(settings),
        ...notify,
      },
    };
  };
  /** @param {string} id */
  const queueDimension = (id) => ({ Name: 'QueueName', Value: { 'Fn::GetAtt': [id, 'QueueName'] } });
  /** @param {string} id */
  const functionDimension = (id) => ({ Name: 'FunctionName', Value: { Ref: id } });

  for (const id of subjects.deadLetterQueues) {
    metricAlarm(`${id}NotEmptyAlarm`, {
      name: queueName(id, 'not-empty'),
      description: 'A message is in this dead-letter queue: find the cause in its attributes and the logs, fix it, then redrive (docs/operating.md, npm run dlq).',
      namespace: 'AWS/SQS',
      metric: 'ApproximateNumberOfMessagesVisible',
      dimension: queueDimension(id),
      statistic: 'Maximum',
      settings: ALARMS.deadLetters,
    });
  }
  for (const { queueId: id, functionId } of subjects.consumerQueues) {
    const queue = resources[id].Properties ?? {};
    const visibility = Number(queue.VisibilityTimeout ?? SQS_DEFAULT_VISIBILITY_TIMEOUT);
    const receives = Number(parsedJson(queue.RedrivePolicy)?.maxReceiveCount ?? 1);
    const threshold = Math.ceil(ALARMS.oldestMessage.factor * visibility * receives);
    metricAlarm(`${id}OldestMessageAlarm`, {
      name: queueName(id, 'oldest-message-age'),
      description:
        `The oldest message has waited ${threshold} s or more (1.5 x VisibilityTimeout ${visibility} s x maxReceiveCount ${receives}) ` +
        `for 15 minutes: ${functionId ?? 'its consumer'} is not keeping up or not running (docs/operating.md).`,
      namespace: 'AWS/SQS',
      metric: 'ApproximateAgeOfOldestMessage',
      dimension: queueDimension(id),
      statistic: 'Maximum',
      settings: { ...ALARMS.oldestMessage, threshold },
    });
  }
  for (const id of subjects.functions) {
    metricAlarm(`${id}ErrorsAlarm`, {
      name: functionName(id, 'errors'),
      description: 'The function crashed or timed out in 3 of the last 5 minutes (expected failures are batch item failures or 4xx answers, never Errors): see its logs and traces (docs/operating.md).',
      namespace: 'AWS/Lambda',
      metric: 'Errors',
      dimension: functionDimension(id),
      statistic: 'Sum',
      settings: ALARMS.errors,
    });
    metricAlarm(`${id}ThrottlesAlarm`, {
      name: functionName(id, 'throttles'),
      description: 'Invocations were throttled in 3 of the last 5 minutes: the account or function concurrency is exhausted (docs/operating.md).',
      namespace: 'AWS/Lambda',
      metric: 'Throttles',
      dimension: functionDimension(id),
      statistic: 'Sum',
      settings: ALARMS.throttles,
    });
  }
  for (const id of subjects.streamFunctions) {
    metricAlarm(`${id}IteratorAgeAlarm`, {
      name: functionName(id, 'iterator-age'),
      description: 'The stream consumer has been over a minute behind its table for 5 minutes: a batch keeps failing (docs/operating.md); records leave the stream after 24 h.',
      namespace: 'AWS/Lambda',
      metric: 'IteratorAge',
      dimension: functionDimension(id),
      statistic: 'Maximum',
      settings: ALARMS.iteratorAge,
    });
  }
  for (const id of subjects.httpApis) {
    /** @param {string} MetricName */
    const metric = (MetricName) => ({
      Metric: { Namespace: 'AWS/ApiGateway', MetricName, Dimensions: [{ Name: 'ApiId', Value: { Ref: id } }] },
      Period: PERIOD,
      Stat: 'Sum',
    });
    alarms[`${id}5xxRateAlarm`] = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `${prefix}${kebab(id)}-5xx-rate`,
        AlarmDescription: 'Over 5% of the API\'s requests were answered 5xx in each of the last 3 minutes: see the functions\' Errors alarms and logs (docs/operating.md).',
        Metrics: [
          { Id: 'errors', MetricStat: metric('5xx'), ReturnData: false },
          { Id: 'requests', MetricStat: metric('Count'), ReturnData: false },
          { Id: 'rate', Expression: 'IF(requests > 0, errors / requests, 0)', Label: '5xx rate', ReturnData: true },
        ],
        ...evaluation(ALARMS.http5xx),
        ...notify,
      },
    };
  }

  for (const [metric, { threshold, description }] of Object.entries(metricAlarms ?? {})) {
    if (typeof threshold !== 'number' || typeof description !== 'string') throw new Error(`custom.metricAlarms.${metric}: needs a numeric threshold and a description`);
    metricAlarm(`${metric}Alarm`, {
      name: `${prefix}${kebab(metric)}`,
      description,
      namespace: metricsNamespace(stage),
      metric,
      dimension: { Name: 'service', Value: service },
      statistic: 'Maximum',
      settings: { ...ALARMS.serviceMetric, threshold },
      period: ALARMS.serviceMetric.period,
    });
  }

  const children = Object.keys(alarms);
  if (children.length === 0) return alarms;
  alarms.ServiceHealthAlarm = {
    Type: 'AWS::CloudWatch::CompositeAlarm',
    // The rule names its alarms: they must exist first.
    DependsOn: children,
    Properties: {
      AlarmName: healthAlarmName(service, stage),
      AlarmDescription: `ALARM while any alarm of ${service} is. It is for the ${stage} dashboard and notifies nobody: each alarm notifies on its own.`,
      AlarmRule: children.map((id) => `ALARM("${alarms[id].Properties.AlarmName}")`).join(' OR '),
      ActionsEnabled: false,
    },
  };
  return alarms;
}

module.exports = { ALARMS, PERIOD, alarmSubjects, alarmsFor };
