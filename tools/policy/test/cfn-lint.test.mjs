// cfn-lint (../cfn-lint.mjs) on small hand-made templates: it fails what
// CloudFormation would reject (all that the hand-written cfn-check it replaced
// caught, and deprecated runtimes), accepts what osls emits, accepts only what
// ../.cfnlintrc.yaml lists, and without cfn-lint on PATH the checks fail
// saying how to install it. template-policy.test.mjs runs it on every
// service's compiled templates, from the one compile it makes.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { CFN_LINT_CONFIG, CFN_LINT_INSTALL, cfnLint } from '../cfn-lint.mjs';
import { lambda, role, template } from './fixtures.mjs';

const dir = mkdtempSync(path.join(os.tmpdir(), 'cfn-lint-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));
/** Writes `template` to <dir>/<name>.json and returns the path. */
const file = (name, template) => {
  const at = path.join(dir, `${name}.json`);
  writeFileSync(at, JSON.stringify(template, null, 2));
  return at;
};
/** "<rule> <path>" of each finding in `at`, sorted. */
const found = (findings, at) => findings.filter((f) => f.file === at).map((f) => `${f.rule} ${f.path}`).sort();


// What osls and our plugins emit: intrinsics everywhere a value may be, conditions, exports.
const good = template(
  {
    Fn: lambda('FnRole', {
      Environment: {
        Variables: {
          TOPIC: { 'Fn::ImportValue': 'event-bus-dev-DomainEventsTopicArn' },
          URL: { 'Fn::Join': ['', ['https://', { Ref: 'AWS::Region' }, '.example']] },
          LOGS: { 'Fn::Sub': 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/x:*' },
          QUEUE_ARN: { 'Fn::If': ['IsProd', { 'Fn::Sub': '${Queue.Arn}' }, { Ref: 'AWS::NoValue' }] },
          DEBUG: { 'Fn::If': ['IsProd', 'false', { Ref: 'AWS::NoValue' }] },
        },
      },
    }),
    FnRole: role(),
    Queue: { Type: 'AWS::SQS::Queue', Condition: 'IsProd', DependsOn: ['FnRole'], Properties: { VisibilityTimeout: '36' } },
  },
  {
    Conditions: { IsProd: { 'Fn::Equals': [{ Ref: 'AWS::StackName' }, 'prod'] } },
    Outputs: { QueueArn: { Value: { 'Fn::GetAtt': ['Queue', 'Arn'] }, Export: { Name: 'svc-dev-QueueArn' }, Condition: 'IsProd' } },
  },
);

// Everything cfn-check.cjs caught, and a deprecated runtime.
const bad = template(
  {
    Fn: lambda('NoSuchRole', { Runtime: 'nodejs16.x', Timout: 6 }),
    Queue: { Type: 'AWS::SQS::Queue', DependsOn: 'Nothing', Properties: { VisibilityTimeout: 'long', Tags: {} } },
    Thing: { Type: 'AWS::SQS::Queeu' },
    Sub: { Type: 'AWS::SNS::Topic', Condition: 'Nope', Properties: { TopicName: { 'Fn::Sub': '${AWS::Regoin}-${Queue.Url}' } } },
    Subscription: { Type: 'AWS::SNS::Subscription', Properties: { Protocol: 'sqs' } },
  },
  { Outputs: { X: { Value: { Ref: 'Missing' }, Exprt: { Name: 'x' } } } },
);

// What .cfnlintrc.yaml accepts: a DependsOn that a GetAtt already enforces (W3005).
const accepted = template({ Fn: { ...lambda('FnRole'), DependsOn: ['FnRole'] }, FnRole: role() });

// A condition on two literals (W8003), as event-bus's HasAlarmEmail once compiled
// (Fn::Equals ['', '']): a finding; the fix is a parameter, as event-bus has now.
const constantCondition = (equals) =>
  template(
    { Topic: { Type: 'AWS::SNS::Topic', Condition: 'HasEmail', Properties: {} } },
    {
      ...(JSON.stringify(equals).includes('AlarmEmail') && { Parameters: { AlarmEmail: { Type: 'String', Default: '' } } }),
      Conditions: { HasEmail: { 'Fn::Not': [{ 'Fn::Equals': equals }] } },
    },
  );

describe('cfn-lint', () => {
  it('flags what CloudFormation would reject, as cfn-check did, and a condition on two literals; accepts what osls emits', () => {
    const files = {
      good: file('good', good),
      bad: file('bad', bad),
      accepted: file('accepted', accepted),
      literalCondition: file('literal-condition', constantCondition(['', ''])),
      parameterCondition: file('parameter-condition', constantCondition([{ Ref: 'AlarmEmail' }, ''])),
    };
    // One run for all (cfn-lint takes seconds to start).
    const findings = cfnLint(Object.values(files));
    assert.deepEqual(found(findings, files.good), []);
    assert.deepEqual(found(findings, files.accepted), []);
    // A condition on two literals is a finding (W8003), one on a parameter is not.
    assert.deepEqual(found(findings, files.literalCondition), ['W8003 Conditions/HasEmail/Fn::Not/0']);
    assert.deepEqual(found(findings, files.parameterCondition), []);
    assert.deepEqual(found(findings, files.bad), [
      'E1010 Resources/Fn/Properties/Role/Fn::GetAtt/0', // dangling GetAtt
      'E1019 Resources/Sub/Properties/TopicName/Fn::Sub', // ${AWS::Regoin}
      'E1019 Resources/Sub/Properties/TopicName/Fn::Sub', // ${Queue.Url}: no such attribute
      'E2533 Resources/Fn/Properties/Runtime', // deprecated runtime
      'E3002 Resources/Fn/Properties/Timout', // unknown property
      'E3003 Resources/Subscription/Properties', // TopicArn is required
      'E3005 Resources/Queue/DependsOn', // dangling DependsOn
      'E3006 Resources/Thing/Type', // unknown resource type
      'E3012 Resources/Queue/Properties/Tags', // an object where a list goes
      'E3012 Resources/Queue/Properties/VisibilityTimeout', // not an integer
      'E3015 Resources/Sub/Condition', // dangling Condition
      'E6001 Outputs/X/Exprt', // unknown output key
      'E6101 Outputs/X/Value/Ref', // dangling Ref
    ]);
    for (const finding of findings.filter((f) => f.file === files.bad)) assert.equal(finding.level, 'Error', `${finding.rule}: ${finding.message}`);
  });

  it('accepts only what .cfnlintrc.yaml lists (W3005); without it that is a finding', () => {
    const at = file('accepted-without-config', accepted);
    const empty = path.join(dir, 'empty');
    mkdirSync(empty, { recursive: true });
    writeFileSync(path.join(empty, '.cfnlintrc.yaml'), '{}\n');
    assert.deepEqual(found(cfnLint([at], { config: path.join(empty, '.cfnlintrc.yaml') }), at), ['W3005 Resources/Fn/DependsOn/0']);
    assert.match(CFN_LINT_CONFIG, /tools\/policy\/\.cfnlintrc\.yaml$/);
  });

  it('fails, saying how to install it, when cfn-lint is not on PATH', () => {
    const env = { ...process.env, PATH: path.join(dir, 'no-such-dir') };
    assert.equal(CFN_LINT_INSTALL, 'pip install cfn-lint==1.51.0');
    assert.throws(() => cfnLint([file('good-without-cfn-lint', good)], { env }), (error) => {
      assert.match(error.message, /^cfn-lint is not on PATH\. .*pip install cfn-lint==1\.51\.0$/);
      return true;
    });
  });

  it('fails, saying how to install the pinned version, when another cfn-lint is on PATH', () => {
    const bin = path.join(dir, 'other-version');
    mkdirSync(bin, { recursive: true });
    writeFileSync(path.join(bin, 'cfn-lint'), '#!/bin/sh\necho "cfn-lint 1.2.3"\n', { mode: 0o755 });
    const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}` };
    assert.throws(() => cfnLint([file('good-other-version', good)], { env }), /^Error: cfn-lint 1\.2\.3 is on PATH; .* are for 1\.51\.0: pip install cfn-lint==1\.51\.0$/);
  });

  it('refuses a missing config file (cfn-lint would run without it)', () => {
    assert.throws(() => cfnLint([file('good-no-config', good)], { config: path.join(dir, 'nope.yaml') }), /no config file/);
  });
});
