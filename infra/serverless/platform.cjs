// What the platform stack (services/event-bus/serverless.yml) needs to
// operate a stage: the alarm topic's name and export, the X-Ray resource
// policy's name and the dashboard. Taken the way base.cjs is:
//   ${file(../../infra/serverless/platform.cjs):alarmTopic.name}
// The dashboard lists the health alarm of every service of the repository
// that is built on the shared plugins (infra/serverless/plugins/observability.js
// gives each of them one): a new service appears on it the next time the
// platform stack is deployed.
'use strict';

const { existsSync, readFileSync, readdirSync } = require('node:fs');
const path = require('node:path');
const { dashboardBody } = require('./lib/dashboard.cjs');
const { EVENT_BUS_SERVICE, alarmTopicExportName, alarmTopicName, dashboardName, metricsNamespace } = require('./lib/names.cjs');

const SERVICES_DIR = path.resolve(__dirname, '../../services');
// A service on the shared plugins has the observability plugin, hence alarms and a health alarm.
const ON_SHARED_PLUGINS = /^plugins:\s*\$\{file\(\.\.\/\.\.\/infra\/serverless\/base\.cjs\):plugins\}/m;

/** The services (by their `service:` name) whose health alarm the dashboard lists, sorted. */
const watchedServices = (servicesDir = SERVICES_DIR) =>
  readdirSync(servicesDir)
    .map((dir) => path.join(servicesDir, dir, 'serverless.yml'))
    .filter((file) => existsSync(file))
    .map((file) => readFileSync(file, 'utf8'))
    .filter((config) => ON_SHARED_PLUGINS.test(config))
    .map((config) => config.match(/^service:\s*['"]?([\w-]+)/m)?.[1])
    .filter(/** @returns {service is string} */ (service) => Boolean(service) && service !== EVENT_BUS_SERVICE)
    .sort();

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
    dashboard: { name: dashboardName(stage), body: dashboardBody({ stage, services: watchedServices() }) },
    // Role names as serverless-iam-roles-per-function gives them: <service>-<stage>-<function>-<region>-lambdaRole.
    domainEvents: {
      publisherRoleArns: EVENT_PRODUCER_SERVICES.map((service) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${service}-${stage}-*` })),
    },
  };
};
module.exports.watchedServices = watchedServices;
module.exports.EVENT_PRODUCER_SERVICES = EVENT_PRODUCER_SERVICES;
