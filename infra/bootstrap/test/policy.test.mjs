// The house rules for the account bootstrap's IAM (checks.mjs), on the
// committed template and on copies of it broken the way a hurried edit would:
// no admin and no `*` on `*`, trust pinned to this repository and one team's
// named GitHub environments, every grant under the team's own names (preview
// roles under its preview stages' names), CloudFormation writes only through
// the team's execution role, function roles only with the team's boundary,
// and IAM's size limits. It also checks template.json is what template.mjs
// makes from the ownership files today.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { TEMPLATE_FILE, UNSCOPED_ACTIONS, UNSCOPED_ARNS, renderTemplate } from '../template.mjs';
import { checkNoAdmin, checkScope, checkSizes, checkTrust } from './checks.mjs';

const committed = readFileSync(TEMPLATE_FILE, 'utf8');
/** @returns {any} a fresh copy of the template (checks.mjs's Template), to break */
const template = () => JSON.parse(committed);
/** The statements of a role's one inline policy. @param {any} t @param {string} id @returns {any[]} */
const statementsOf = (t, id) => t.Resources[id].Properties.Policies[0].PolicyDocument.Statement;
/** @param {any[]} statements @param {string} sid */
const sid = (statements, sid) => {
  const found = statements.find((statement) => statement.Sid === sid);
  assert.ok(found, `no statement ${sid}`);
  return found;
};

describe('the bootstrap template (infra/bootstrap/template.json)', () => {
  it('is what template.mjs makes from the ownership files (else: node infra/bootstrap/template.mjs)', () => {
    assert.equal(committed, renderTemplate(), 'infra/bootstrap/template.json is out of date: run node infra/bootstrap/template.mjs, review the diff, redeploy (docs/bootstrap.md)');
  });

  it('grants no admin: no * action, no <service>:*, no NotAction, Resource * only for actions with no resource or under a condition, nothing forbidden', () => {
    assert.deepEqual(checkNoAdmin(template()), []);
  });

  it('lets only GitHub, for this repository and the team\'s named environments, assume a deploy role, and only CloudFormation an execution role', () => {
    assert.deepEqual(checkTrust(template()), []);
  });

  it('grants each role only its team\'s names, writes stacks only through its execution role, makes roles only with its boundary', () => {
    assert.deepEqual(checkScope(template()), []);
  });

  it('fits IAM\'s policy size limits', () => {
    assert.deepEqual(checkSizes(template()), []);
  });

  it('fits CloudFormation\'s template size through S3 (1 MB; past 51,200 bytes it cannot go inline, docs/bootstrap.md)', () => {
    assert.ok(Buffer.byteLength(committed) < 1024 * 1024, `${Buffer.byteLength(committed)} bytes`);
  });

  it('gives a reason for every unscoped action and ARN it allows', () => {
    for (const [what, reason] of [...Object.entries(UNSCOPED_ACTIONS), ...Object.entries(UNSCOPED_ARNS)]) assert.ok(reason.length > 20, `${what}: ${reason}`);
  });
});

describe('the policy checks catch', () => {
  it('an admin grant, a service wildcard and an unscoped write on Resource *', () => {
    const t = template();
    statementsOf(t, 'OrdersExecutionRole').push(
      { Sid: 'Admin', Effect: 'Allow', Action: '*', Resource: '*' },
      { Sid: 'AllOfDynamo', Effect: 'Allow', Action: ['dynamodb:*'], Resource: ['arn:aws:dynamodb:*:*:table/order-processor-*'] },
      { Sid: 'AnyTable', Effect: 'Allow', Action: ['dynamodb:DeleteTable'], Resource: '*' },
      { Sid: 'MorePolicies', Effect: 'Allow', Action: ['iam:AttachRolePolicy'], Resource: ['arn:aws:iam::*:role/order-processor-*'] },
    );
    t.Resources.OrdersDeployRole.Properties.ManagedPolicyArns = ['arn:aws:iam::aws:policy/AdministratorAccess'];
    const problems = checkNoAdmin(t).join('\n');
    for (const expected of ['Admin: action *', 'AllOfDynamo: action dynamodb:*', 'AnyTable: dynamodb:DeleteTable on Resource *', 'forbidden action iam:AttachRolePolicy', 'attaches managed policies']) {
      assert.ok(problems.includes(expected), `${expected} in:\n${problems}`);
    }
  });

  it('a trust open to any repository, a wildcard environment, another principal, or no audience', () => {
    const t = template();
    const trust = t.Resources.CatalogDeployRole.Properties.AssumeRolePolicyDocument.Statement[0];
    trust.Condition = { StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:*' } };
    const preview = t.Resources.CatalogPreviewDeployRole.Properties.AssumeRolePolicyDocument.Statement[0];
    preview.Condition.StringEquals['token.actions.githubusercontent.com:sub'] = [{ 'Fn::Sub': 'repo:${GitHubRepository}:environment:pr-*' }];
    t.Resources.OrdersExecutionRole.Properties.AssumeRolePolicyDocument.Statement[0].Principal = { Service: ['cloudformation.amazonaws.com', 'lambda.amazonaws.com'] };
    delete t.Resources.OrdersDeployRole.Properties.AssumeRolePolicyDocument.Statement[0].Condition.StringEquals['token.actions.githubusercontent.com:aud'];
    const problems = checkTrust(t).join('\n');
    for (const expected of ['github-deploy-catalog: trust conditions StringLike', 'github-preview-catalog: subjects', 'a subject with a wildcard', 'cfn-exec-orders: trusts', 'github-deploy-orders: audience undefined']) {
      assert.ok(problems.includes(expected), `${expected} in:\n${problems}`);
    }
  });

  it('another team\'s names, a production name in a preview role, an unbound stack write, a role made without the boundary', () => {
    const t = template();
    sid(statementsOf(t, 'CatalogExecutionRole'), 'Tables').Resource.push('arn:aws:dynamodb:*:*:table/order-processor-*');
    sid(statementsOf(t, 'CatalogPreviewExecutionRole'), 'Queues').Resource = ['arn:aws:sqs:*:*:items-api-*'];
    sid(statementsOf(t, 'NotificationsDeployRole'), 'StacksThroughTheExecutionRole').Resource.push('arn:aws:cloudformation:*:*:stack/event-bus-*/*');
    delete sid(statementsOf(t, 'OrdersDeployRole'), 'StacksThroughTheExecutionRole').Condition;
    sid(statementsOf(t, 'NotificationsExecutionRole'), 'FunctionRolesWithTheBoundary').Condition = { 'Fn::If': ['RequireBoundary', {}, { Ref: 'AWS::NoValue' }] };
    sid(statementsOf(t, 'PlatformDeployRole'), 'StacksThroughTheExecutionRole').Action.push('cloudformation:DeleteStack');
    statementsOf(t, 'CatalogExecutionRole').push({ Sid: 'Key', Effect: 'Allow', Action: ['kms:PutKeyPolicy'], Resource: 'arn:aws:kms:*:*:key/*' });
    statementsOf(t, 'OrdersExecutionRole').push({ Sid: 'Bus', Effect: 'Allow', Action: ['sns:SetTopicAttributes'], Resource: 'arn:aws:sns:*:*:event-bus-*' });
    t.Resources.OrdersPreviewDeployRole.Properties.Policies[0].PolicyDocument.Statement = statementsOf(t, 'OrdersPreviewDeployRole').filter((statement) => statement.Sid !== 'NoResourceImports');
    t.Resources.OrdersPreviewExecutionRole.Properties.Policies[0].PolicyDocument.Statement = statementsOf(t, 'OrdersPreviewExecutionRole').filter((statement) => statement.Sid !== 'NeverLiftABoundary');
    const problems = checkScope(t).join('\n');
    for (const expected of [
      'cfn-exec-catalog Tables: arn:aws:dynamodb:*:*:table/order-processor-* is not under items-api-',
      'cfn-exec-preview-catalog Queues: arn:aws:sqs:*:*:items-api-* is not under items-api-pr-',
      'github-deploy-notifications StacksThroughTheExecutionRole: arn:aws:cloudformation:*:*:stack/event-bus-*/*',
      'github-deploy-orders StacksThroughTheExecutionRole: cloudformation:CreateChangeSet, cloudformation:CreateStack, cloudformation:UpdateStack not bound to cfn-exec-orders',
      'cfn-exec-notifications FunctionRolesWithTheBoundary',
      'github-deploy-platform StacksThroughTheExecutionRole: a deploy role deletes stacks',
      'cfn-exec-catalog Key: arn:aws:kms:*:*:key/* (KMS keys are the bus team\'s only)',
      'cfn-exec-orders Bus: sns:SetTopicAttributes on the bus',
      'github-preview-orders: no Deny of resource imports',
      'cfn-exec-preview-orders: no Deny of iam:DeleteRolePermissionsBoundary',
    ]) {
      assert.ok(problems.includes(expected), `${expected} in:\n${problems}`);
    }
  });

  it('a smoke role that writes, reads another table, or reads any key', () => {
    const t = template();
    statementsOf(t, 'SmokeRole').push({ Sid: 'Write', Effect: 'Allow', Action: ['dynamodb:PutItem'], Resource: ['arn:aws:dynamodb:*:*:table/notifier-*-notifications'] });
    sid(statementsOf(t, 'PreviewSmokeRole'), 'NotificationRecords').Resource = ['arn:aws:dynamodb:*:*:table/order-processor-pr-*-orders'];
    delete sid(statementsOf(t, 'SmokeRole'), 'NotificationRecords').Condition;
    const problems = checkScope(t).join('\n');
    for (const expected of ['github-smoke Write: dynamodb:PutItem', 'github-smoke-preview NotificationRecords: GetItem on arn:aws:dynamodb:*:*:table/order-processor-pr-*-orders', 'github-smoke NotificationRecords: GetItem not limited to NOTIFICATION#* keys']) {
      assert.ok(problems.includes(expected), `${expected} in:\n${problems}`);
    }
  });

  it('a policy past IAM\'s size limit', () => {
    const t = template();
    const statements = statementsOf(t, 'NotificationsExecutionRole');
    for (let i = 0; i < 40; i += 1) statements.push({ Sid: `Filler${i}`, Effect: 'Allow', Action: ['sqs:GetQueueUrl'], Resource: [`arn:aws:sqs:*:*:notifier-${'x'.repeat(200)}`] });
    assert.match(checkSizes(t).join('\n'), /cfn-exec-notifications: inline policies of \d+ characters \(limit 10,240 per role\)/);
  });
});
