// Automatic rollback (docs/decisions/0010-rollback-triggers.md): when
// `serverless deploy` updates a service's stack, CloudFormation watches the
// service's health alarm (lib/alarms.cjs: `<service>-<stage>-health`, the
// composite of every alarm of the service) during the update and for
// ROLLBACK_MONITORING_MINUTES after it (default 10, at most 180; `off` turns
// this off). If the alarm goes to ALARM, CloudFormation rolls the whole update
// back: code, configuration and resources.
//
// Why a plugin and not `provider.rollbackConfiguration` in base.cjs: osls
// 4.3.1's schema allows only `AWS::CloudWatch::Alarm` triggers and refuses the
// composite alarm's type ("must be equal to constant"), while CloudFormation
// takes both; and a trigger must exist before the deploy starts, or
// CloudFormation fails the deploy, which only a lookup at deploy time can tell.
// So, just before the update (after the configuration was validated), this:
//   - does nothing on the local stage, or for a stack without a health alarm
//     (the event bus);
//   - on a service's first deploy of a stage (no health alarm yet), deploys
//     with no trigger, and says so;
//   - when the health alarm is already in ALARM, deploys with no trigger, and
//     says so: the deploy may be the fix, and CloudFormation would roll it back
//     at once. (In both cases an empty list: CloudFormation would otherwise
//     reuse the triggers of the stack's last update.)
//   - otherwise sets the trigger; osls passes provider.rollbackConfiguration
//     to CreateChangeSet / UpdateStack.
// The deploy role needs cloudwatch:DescribeAlarms for the lookup.
'use strict';

const { LOCAL_STAGE } = require('../local-stage.cjs');
const { healthAlarmName } = require('../lib/names.cjs');

/** The logical ID lib/alarms.cjs gives a service's health alarm. */
const HEALTH_ALARM_ID = 'ServiceHealthAlarm';
const DEFAULT_MINUTES = 10;
const MAX_MINUTES = 180;

/**
 * ROLLBACK_MONITORING_MINUTES: minutes (0 to 180), or `off`; unset or empty: the default.
 * @param {string | undefined} value
 * @returns {number | undefined} undefined: off
 */
const monitoringMinutes = (value) => {
  const text = (value ?? '').trim().toLowerCase();
  if (text === '') return DEFAULT_MINUTES;
  if (text === 'off') return undefined;
  const minutes = Number(text);
  if (!Number.isInteger(minutes) || minutes < 0 || minutes > MAX_MINUTES) {
    throw new Error(`ROLLBACK_MONITORING_MINUTES must be a whole number of minutes from 0 to ${MAX_MINUTES}, or off; got ${JSON.stringify(value)}`);
  }
  return minutes;
};

/**
 * What to give CloudFormation, from the health alarm as CloudWatch describes it.
 * @param {{ name: string, alarm: { AlarmArn?: string, StateValue?: string, StateUpdatedTimestamp?: Date } | undefined, minutes: number }} input
 * @returns {{ rollbackConfiguration: { RollbackTriggers: Array<{ Arn: string, Type: string }>, MonitoringTimeInMinutes: number }, note: string }}
 */
const decide = ({ name, alarm, minutes }) => {
  // An empty list, not none: CloudFormation would reuse the triggers of the stack's last update.
  if (!alarm?.AlarmArn) {
    return { rollbackConfiguration: { RollbackTriggers: [], MonitoringTimeInMinutes: 0 }, note: `${name} does not exist yet (a first deploy of this stage): this deploy has no rollback trigger` };
  }
  if (alarm.StateValue === 'ALARM') {
    const since = alarm.StateUpdatedTimestamp ? ` since ${new Date(alarm.StateUpdatedTimestamp).toISOString()}` : '';
    return {
      rollbackConfiguration: { RollbackTriggers: [], MonitoringTimeInMinutes: 0 },
      note: `${name} is in ALARM${since}: deploying WITHOUT a rollback trigger, so that a fix can go out (CloudFormation would roll it back at once)`,
    };
  }
  return {
    rollbackConfiguration: { RollbackTriggers: [{ Arn: alarm.AlarmArn, Type: 'AWS::CloudWatch::CompositeAlarm' }], MonitoringTimeInMinutes: minutes },
    note: `rollback trigger: ${name} (${alarm.StateValue ?? 'no state'}), watched during the update and for ${minutes} min after`,
  };
};

/**
 * The health alarm as CloudWatch describes it, with the framework's credentials and region.
 * @param {any} provider @param {string} name
 */
const describeHealthAlarm = async (provider, name) => {
  const { CloudWatchClient, DescribeAlarmsCommand } = require('@aws-sdk/client-cloudwatch');
  const client = new CloudWatchClient(await provider.getAwsSdkV3Config());
  try {
    const { CompositeAlarms = [] } = await client.send(new DescribeAlarmsCommand({ AlarmNames: [name], AlarmTypes: ['CompositeAlarm'] }));
    return CompositeAlarms[0];
  } finally {
    client.destroy();
  }
};

class RollbackTriggers {
  /**
   * @param {import('@platform/serverless-base/types').Serverless} serverless
   * @param {unknown} _options
   * @param {{ log?: { notice(message: string): void, warning(message: string): void } }} [utils]
   * @param {{ describe?: (name: string) => Promise<{ AlarmArn?: string, StateValue?: string, StateUpdatedTimestamp?: Date } | undefined>, env?: NodeJS.ProcessEnv }} [lookups] tests pass their own
   */
  constructor(serverless, _options, utils, lookups = {}) {
    this.serverless = serverless;
    this.log = utils?.log;
    this.lookups = lookups;
    this.hooks = { 'before:aws:deploy:deploy:updateStack': () => this.apply() };
  }

  async apply() {
    const provider = /** @type {any} */ (this.serverless.getProvider('aws'));
    const { service } = this.serverless.service;
    const settings = this.serverless.service.provider;
    const stage = provider.getStage();
    if (stage === LOCAL_STAGE || settings.shouldNotDeploy || settings.rollbackConfiguration) return;
    if (!settings.compiledCloudFormationTemplate?.Resources?.[HEALTH_ALARM_ID]) return;
    const minutes = monitoringMinutes((this.lookups.env ?? process.env).ROLLBACK_MONITORING_MINUTES);
    if (minutes === undefined) {
      this.log?.warning('ROLLBACK_MONITORING_MINUTES=off: this deploy has no rollback trigger');
      return;
    }
    const name = healthAlarmName(service, stage);
    const alarm = await (this.lookups.describe ?? ((/** @type {string} */ alarmName) => describeHealthAlarm(provider, alarmName)))(name);
    const { rollbackConfiguration, note } = decide({ name, alarm, minutes });
    settings.rollbackConfiguration = rollbackConfiguration;
    if (rollbackConfiguration.RollbackTriggers.length > 0) this.log?.notice(note);
    else this.log?.warning(note);
  }
}

module.exports = RollbackTriggers;
module.exports.decide = decide;
module.exports.monitoringMinutes = monitoringMinutes;
