// Operability that no service can forget, added to the compiled template
// once the service's own resources are merged in (docs/operating.md):
//   - the CloudWatch alarms of every dead-letter queue, consumer queue,
//     function, stream consumer and HTTP API of the template, and the
//     service's health alarm (lib/alarms.cjs), all notifying the stage's
//     alarm topic, which the platform stack exports; plus an alarm on each of
//     the service's own metrics that serverless.yml lists under
//     custom.metricAlarms ({ <MetricName>: { threshold, description } });
//   - when functions are traced (provider.tracing.lambda, every stage but
//     local), X-Ray permissions on each traced function's own role, which
//     serverless-iam-roles-per-function does not carry over from the
//     framework's shared role, and active tracing on every SNS topic
//     (the platform stack lets SNS write the segments).
// List it after the other plugins.
'use strict';

const { LOCAL_ACCOUNT_ID } = require('../local-stage.cjs');
const { alarmsFor } = require('../lib/alarms.cjs');
const { alarmTopicArn } = require('../lib/names.cjs');

const XRAY_STATEMENT = { Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: ['*'] };

/** @param {unknown} value @returns {value is Record<string, any>} */
const isObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);
/** @param {import('@platform/serverless-base/types').CfnResource} fn @returns {string | undefined} */
const roleOf = (fn) => {
  const getAtt = isObject(fn.Properties?.Role) ? fn.Properties.Role['Fn::GetAtt'] : undefined;
  return Array.isArray(getAtt) ? getAtt[0] : typeof getAtt === 'string' ? getAtt.split('.')[0] : undefined;
};

class Observability {
  /** @param {import('@platform/serverless-base/types').Serverless} serverless */
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'after:aws:package:finalize:mergeCustomProviderResources': () => this.apply() };
  }

  apply() {
    const { service, provider, custom } = this.serverless.service;
    const template = provider.compiledCloudFormationTemplate;
    const stage = provider.stage;
    const alarms = alarmsFor(template, {
      service,
      stage,
      alarmTopicArn: alarmTopicArn({ stage, region: provider.region, localAccountId: LOCAL_ACCOUNT_ID }),
      metricAlarms: custom?.metricAlarms,
    });
    for (const [id, alarm] of Object.entries(alarms)) {
      if (template.Resources[id]) throw new this.serverless.classes.Error(`observability: ${id} already exists; rename that resource`);
      template.Resources[id] = alarm;
    }
    if (provider.tracing?.lambda) this.trace(template);
  }

  /** @param {import('@platform/serverless-base/types').CfnTemplate} template */
  trace(template) {
    for (const fn of Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::Lambda::Function')) {
      if (fn.Properties?.TracingConfig?.Mode !== 'Active') continue;
      const statements = template.Resources[/** @type {string} */ (roleOf(fn))]?.Properties?.Policies?.[0]?.PolicyDocument?.Statement;
      const granted = statements?.some((/** @type {{ Action?: unknown }} */ statement) => JSON.stringify(statement.Action) === JSON.stringify(XRAY_STATEMENT.Action));
      if (statements && !granted) statements.push(structuredClone(XRAY_STATEMENT));
    }
    for (const topic of Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::SNS::Topic')) {
      topic.Properties = { ...topic.Properties, TracingConfig: topic.Properties?.TracingConfig ?? 'Active' };
    }
  }
}

module.exports = Observability;
