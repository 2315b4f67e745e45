// The names the platform stack (services/event-bus) and every service agree
// on for operating the system, in one place: the alarm topic and its export,
// the business metrics' namespace, each service's health alarm and the
// dashboard. Names are deterministic, so the platform stack's dashboard can
// find every service's health alarm by name without knowing the services, and
// a service imports only the alarm topic's export (docs/operating.md).
'use strict';

const EVENT_BUS_SERVICE = 'event-bus';
// The stage that runs on the emulators (base.cjs has the same name): there is
// no CloudWatch, X-Ray or KMS there, and serverless-offline cannot resolve
// Fn::ImportValue, so ARNs are spelled out.
const LOCAL_STAGE = 'local';

/** The SNS topic every alarm of `stage` notifies, owned by the platform stack. @param {string} stage */
const alarmTopicName = (stage) => `${EVENT_BUS_SERVICE}-${stage}-alarms`;
/** The platform stack's export of that topic's ARN, the one a service imports for its alarm actions. @param {string} stage */
const alarmTopicExportName = (stage) => `${EVENT_BUS_SERVICE}-${stage}-AlarmTopicArn`;

/**
 * How a service's template names the alarm topic: the platform's export,
 * resolved by CloudFormation at deploy time; on the local stage the literal
 * ARN (nothing there evaluates alarms, but the template must compile).
 * @param {{ stage: string, region: string, localAccountId: string }} where
 */
const alarmTopicArn = ({ stage, region, localAccountId }) =>
  stage === LOCAL_STAGE
    ? `arn:aws:sns:${region}:${localAccountId}:${alarmTopicName(stage)}`
    : { 'Fn::ImportValue': alarmTopicExportName(stage) };

/** The CloudWatch namespace of the business metrics (Powertools Metrics), one per stage. @param {string} stage */
const metricsNamespace = (stage) => `Platform/${stage}`;

/** Every alarm of a service is named `<service>-<stage>-<what>`. @param {string} service @param {string} stage */
const alarmPrefix = (service, stage) => `${service}-${stage}-`;
/** A service's composite alarm: ALARM when any of its alarms is. The dashboard links to them all by the name's end, `-<stage>-health`. @param {string} service @param {string} stage */
const healthAlarmName = (service, stage) => `${alarmPrefix(service, stage)}health`;

/** The one dashboard of a stage, in the platform stack. @param {string} stage */
const dashboardName = (stage) => `${EVENT_BUS_SERVICE}-${stage}`;

module.exports = {
  EVENT_BUS_SERVICE,
  LOCAL_STAGE,
  alarmTopicName,
  alarmTopicExportName,
  alarmTopicArn,
  metricsNamespace,
  alarmPrefix,
  healthAlarmName,
  dashboardName,
};
