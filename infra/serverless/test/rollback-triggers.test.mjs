// plugins/rollback-triggers.js (docs/decisions/0010-rollback-triggers.md):
// before `serverless deploy` updates a stack, the service's health alarm
// becomes CloudFormation's rollback trigger, unless it does not exist yet or
// is already in ALARM. What CloudWatch answers is passed in here. The other
// half is osls's own: that it refuses a composite alarm in
// provider.rollbackConfiguration (why this is a plugin), and that it passes
// what the plugin sets to CreateChangeSet and UpdateStack; both are checked
// against the installed osls.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

const require = createRequire(import.meta.url);
const RollbackTriggers = require('../plugins/rollback-triggers.js');
const { monitoringMinutes } = RollbackTriggers;

const ARN = 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:items-api-staging-health';
const WITH_HEALTH = { Resources: { ServiceHealthAlarm: { Type: 'AWS::CloudWatch::CompositeAlarm' } } };

/**
 * The plugin as the framework loads it, with CloudWatch answering `alarm`.
 * @param {{ stage?: string, alarm?: any, template?: any, env?: NodeJS.ProcessEnv, configured?: any }} [world]
 */
const deploy = async ({ stage = 'staging', alarm, template = WITH_HEALTH, env = {}, configured } = {}) => {
  /** @type {string[]} */
  const asked = [];
  /** @type {string[]} */
  const said = [];
  const provider = { stage, compiledCloudFormationTemplate: template, ...(configured && { rollbackConfiguration: configured }) };
  const serverless = { service: { service: 'items-api', provider }, getProvider: () => ({ getStage: () => stage }) };
  const plugin = new RollbackTriggers(
    /** @type {any} */ (serverless),
    {},
    { log: { notice: (/** @type {string} */ line) => said.push(`notice: ${line}`), warning: (/** @type {string} */ line) => said.push(`warning: ${line}`) } },
    {
      env,
      describe: async (name) => {
        asked.push(name);
        return alarm;
      },
    },
  );
  await plugin.hooks['before:aws:deploy:deploy:updateStack']();
  return { rollbackConfiguration: /** @type {any} */ (provider).rollbackConfiguration, asked, said };
};

describe('rollback-triggers plugin', () => {
  it('watches the health alarm during the update and 10 minutes after', async () => {
    const { rollbackConfiguration, asked, said } = await deploy({ alarm: { AlarmArn: ARN, StateValue: 'OK' } });
    assert.deepEqual(asked, ['items-api-staging-health']);
    assert.deepEqual(rollbackConfiguration, { RollbackTriggers: [{ Arn: ARN, Type: 'AWS::CloudWatch::CompositeAlarm' }], MonitoringTimeInMinutes: 10 });
    assert.match(said.join('\n'), /^notice: rollback trigger: items-api-staging-health \(OK\), watched during the update and for 10 min after$/);
  });

  it('takes the monitoring time from ROLLBACK_MONITORING_MINUTES', async () => {
    const { rollbackConfiguration } = await deploy({ alarm: { AlarmArn: ARN, StateValue: 'INSUFFICIENT_DATA' }, env: { ROLLBACK_MONITORING_MINUTES: '0' } });
    assert.equal(rollbackConfiguration.MonitoringTimeInMinutes, 0);
    assert.equal(rollbackConfiguration.RollbackTriggers.length, 1);
  });

  it('has no trigger on a first deploy of the stage, when the alarm does not exist yet, and says so', async () => {
    const { rollbackConfiguration, said } = await deploy({ alarm: undefined });
    // An empty list, so CloudFormation does not reuse triggers of an earlier update either.
    assert.deepEqual(rollbackConfiguration, { RollbackTriggers: [], MonitoringTimeInMinutes: 0 });
    assert.match(said.join('\n'), /^warning: items-api-staging-health does not exist yet \(a first deploy of this stage\): this deploy has no rollback trigger$/);
  });

  it('has no trigger when the alarm is in ALARM already, so that a fix can go out, and says so', async () => {
    const { rollbackConfiguration, said } = await deploy({ alarm: { AlarmArn: ARN, StateValue: 'ALARM', StateUpdatedTimestamp: new Date('2026-12-07T03:00:00Z') } });
    assert.deepEqual(rollbackConfiguration, { RollbackTriggers: [], MonitoringTimeInMinutes: 0 });
    assert.match(said.join('\n'), /^warning: items-api-staging-health is in ALARM since 2026-12-07T03:00:00.000Z: deploying WITHOUT a rollback trigger/);
  });

  it('does nothing on the local stage, for a stack without a health alarm (the bus), or when the service sets its own', async () => {
    for (const world of [{ stage: 'local' }, { template: { Resources: {} } }, { configured: { RollbackTriggers: [] } }]) {
      const { asked, rollbackConfiguration } = await deploy({ alarm: { AlarmArn: ARN, StateValue: 'OK' }, ...world });
      assert.deepEqual(asked, [], JSON.stringify(world));
      assert.deepEqual(rollbackConfiguration, world.configured, JSON.stringify(world));
    }
  });

  it('can be turned off, and refuses a monitoring time CloudFormation would refuse', async () => {
    const { asked, said } = await deploy({ alarm: { AlarmArn: ARN }, env: { ROLLBACK_MONITORING_MINUTES: 'off' } });
    assert.deepEqual(asked, []);
    assert.match(said.join('\n'), /ROLLBACK_MONITORING_MINUTES=off/);
    assert.equal(monitoringMinutes(undefined), 10);
    assert.equal(monitoringMinutes('180'), 180);
    for (const wrong of ['181', '-1', '2.5', 'ten']) assert.throws(() => monitoringMinutes(wrong), /ROLLBACK_MONITORING_MINUTES must be a whole number of minutes from 0 to 180, or off/);
  });
});

describe('osls 4.3.1 and rollback triggers (why this is a plugin)', () => {
  it('refuses a composite alarm in provider.rollbackConfiguration, before compiling anything', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rollback-schema-'));
    try {
      writeFileSync(
        path.join(dir, 'serverless.yml'),
        [
          'service: rollback-schema',
          "frameworkVersion: '4'",
          'provider:',
          '  name: aws',
          '  runtime: nodejs22.x',
          '  rollbackConfiguration:',
          '    RollbackTriggers:',
          `      - Arn: ${ARN}`,
          '        Type: AWS::CloudWatch::CompositeAlarm',
          '',
        ].join('\n'),
      );
      const run = spawnSync(process.execPath, [require.resolve('serverless/bin/serverless.js'), 'print', '--stage', 'staging'], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', SLS_TELEMETRY_DISABLED: '1' },
      });
      assert.notEqual(run.status, 0);
      assert.match(run.stdout + run.stderr, /provider\.rollbackConfiguration\.RollbackTriggers\.0\.Type': must be equal to constant/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('passes what the plugin set to CreateChangeSet and UpdateStack', () => {
    const configuration = { RollbackTriggers: [{ Arn: ARN, Type: 'AWS::CloudWatch::CompositeAlarm' }], MonitoringTimeInMinutes: 10 };
    const osls = path.dirname(require.resolve('serverless/package.json'));
    const { getCreateChangeSetParams } = require(path.join(osls, 'lib/plugins/aws/lib/get-create-change-set-params.js'));
    const { getUpdateStackParams } = require(path.join(osls, 'lib/plugins/aws/lib/get-update-stack-params.js'));
    const context = {
      serverless: { service: { provider: { rollbackConfiguration: configuration } } },
      provider: { naming: { getStackChangeSetName: () => 'serverless-deployment' } },
      getSharedStackActionParams: () => ({ StackName: 'items-api-staging' }),
    };
    assert.deepEqual(getCreateChangeSetParams.call(context, { changeSetType: 'UPDATE', templateUrl: 'https://example.com/t.json' }).RollbackConfiguration, configuration);
    assert.deepEqual(getUpdateStackParams.call(context, {}).RollbackConfiguration, configuration);
  });
});
