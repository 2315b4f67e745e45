// The names the platform stack (services/event-bus) and every service agree
// on for operating the system, in one place: the alarm topic and its export,
// the business metrics' namespace, each service's health alarm and the
// dashboard. Names are deterministic, so the platform stack's dashboard can
// find every service's health alarm by name without knowing the services, and
// a service imports only the alarm topic's export (docs/operating.md).
'use strict';

const { createHash } = require('node:crypto');

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

// Each function's own IAM role (plugins/name-limits.js sets it as the
// function's iamRoleStatementsName for serverless-iam-roles-per-function):
// `<service>-<stage>-<function>-<region>`. IAM allows 64 characters
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html);
// the plugin's own pattern, `…-<region>-lambdaRole`, passed that with a
// 9-character stage (the plugin then silently dropped `-lambdaRole`) and threw
// past 19. A name that would pass 64 keeps `<service>-<stage>-`, the prefix the
// bus's topic policy matches producers by (platform.cjs), cuts the rest and
// ends in 8 hex digits of a hash of the whole name, so it stays unique and is
// the same on every compile.
const ROLE_NAME_LIMIT = 64;
const ROLE_HASH_LENGTH = 8;

/**
 * The prefix every role of a service on a stage starts with: what the bus's topic policy matches.
 * @param {string} service @param {string} stage
 */
const rolePrefix = (service, stage) => `${service}-${stage}-`;

/**
 * The IAM role name of one function.
 * @param {{ service: string, stage: string, functionName: string, region: string }} of
 *   functionName: the key under `functions:` in serverless.yml (e.g. publishOrderEvents)
 */
const functionRoleName = ({ service, stage, functionName, region }) => {
  const prefix = rolePrefix(service, stage);
  const full = `${prefix}${functionName}-${region}`;
  if (full.length <= ROLE_NAME_LIMIT) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, ROLE_HASH_LENGTH);
  // What is left of `<function>-<region>` between the prefix and `-<hash>`; a
  // prefix too long for any of it is the stage check's to refuse (plugins/name-limits.js).
  const room = Math.max(0, ROLE_NAME_LIMIT - prefix.length - ROLE_HASH_LENGTH - 1);
  const rest = `${functionName}-${region}`.slice(0, room).replace(/-+$/, '');
  return rest ? `${prefix}${rest}-${hash}` : `${prefix}${hash}`;
};

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
  ROLE_NAME_LIMIT,
  ROLE_HASH_LENGTH,
  rolePrefix,
  functionRoleName,
};
