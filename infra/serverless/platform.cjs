// What the platform stack (services/event-bus/serverless.yml) needs to
// operate a stage: the alarm topic's name and export, the X-Ray resource
// policy's name and the dashboard. Taken the way base.cjs is:
//   ${file(../../infra/serverless/platform.cjs):alarmTopic.name}
// Nothing here reads the services: the dashboard finds them by search
// expressions (lib/dashboard.cjs), so a change to a service, or a new one,
// changes nothing in the platform stack, and Nx deploys that service alone.
'use strict';

const { dashboardBody } = require('./lib/dashboard.cjs');
const { EVENT_BUS_SERVICE, alarmTopicExportName, alarmTopicName, dashboardName, metricsNamespace } = require('./lib/names.cjs');

/**
 * The services whose functions may publish to the bus: the producers that
 * libs/events/src/contracts.ts names in EVENT_PRODUCERS (tools/policy fails
 * when the two disagree).
 */
const EVENT_PRODUCER_SERVICES = ['items-api', 'order-processor'];

/** @param {{ resolveVariable: import('@platform/serverless-base/types').ResolveVariable }} framework */
module.exports = async ({ resolveVariable }) => {
  const stage = await resolveVariable('sls:stage');
  return {
    alarmTopic: { name: alarmTopicName(stage), exportName: alarmTopicExportName(stage) },
    metricsNamespace: metricsNamespace(stage),
    // One X-Ray resource policy per stage lets SNS send the segments of the stage's
    // actively traced topics (X-Ray allows a few per account: one per stage).
    snsTracingPolicyName: `${EVENT_BUS_SERVICE}-${stage}-sns-active-tracing`,
    dashboard: { name: dashboardName(stage), body: dashboardBody({ stage }) },
    // Each function's role is named <service>-<stage>-<function>-<region>, cut to 64 characters
    // with a hash when longer, never losing its <service>-<stage>- prefix (lib/names.cjs functionRoleName).
    domainEvents: {
      publisherRoleArns: EVENT_PRODUCER_SERVICES.map((service) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${service}-${stage}-*` })),
    },
  };
};
module.exports.EVENT_PRODUCER_SERVICES = EVENT_PRODUCER_SERVICES;
