#!/usr/bin/env node
// The account bootstrap: one CloudFormation stack per AWS account, deployed by
// hand once (docs/bootstrap.md), that lets GitHub Actions deploy this repo's
// stacks with no long-lived key and no admin role. It holds:
//
// - the GitHub OIDC provider (or uses the account's existing one);
// - per team (each scope that owns a service, tools/ownership/teams.json and
//   the services' scope:* tags), four roles:
//     github-deploy-<team>    assumed by the team's staging and production
//                             GitHub environments; drives CloudFormation on the
//                             team's own stacks (`<service>-*`), passing only
//     cfn-exec-<team>         the role CloudFormation creates the stacks'
//                             resources with: only the types those stacks
//                             hold, only under the team's `<service>-` names;
//     github-preview-<team>   the same for the team's preview GitHub
//                             environment, on `<service>-pr-*` stacks only
//                             (and it may delete them), passing only
//     cfn-exec-preview-<team> the same as cfn-exec, on `<service>-pr-*` names;
// - per team, two permissions boundaries (boundary-<team>,
//   boundary-preview-<team>): every function role the stacks create must carry
//   its team's, so no stack can make a role that reaches past the team's names;
// - the smoke test's read-only roles (github-smoke for the staging and
//   production GitHub environments, github-smoke-preview for preview): the
//   stacks' outputs and the notification record, nothing else.
//
// The template is generated from the ownership files, so a new service (the
// generator adds it to CODEOWNERS and teams.json) reaches the roles of its
// team by running this file; the committed template.json is what gets
// deployed and reviewed, and test/ fails when it is not what this file makes.
//
//   node infra/bootstrap/template.mjs           writes infra/bootstrap/template.json
//   node infra/bootstrap/template.mjs --check   exits 1 if template.json is out of date
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** @type {{ EVENT_BUS_SERVICE: string }} */
const { EVENT_BUS_SERVICE } = require('@platform/serverless-base/lib/names');
/** The platform's event bus, the one service whose stacks hold the KMS key, X-Ray policy and dashboard. */
export { EVENT_BUS_SERVICE };

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const TEMPLATE_FILE = fileURLToPath(new URL('./template.json', import.meta.url));

/** The stage prefix of preview stages (one per pull request: `pr-<number>`). */
export const PREVIEW_STAGE_PREFIX = 'pr-';
/** The GitHub environments a team's deploy role trusts, by the kind of stage they deploy. */
export const STAGE_ENVIRONMENTS = ['staging', 'production'];
export const PREVIEW_ENVIRONMENT = 'preview';
/** A GitHub environment of one team: `staging-catalog`, `production-catalog`, `preview-catalog`. */
export const environmentName = (/** @type {string} */ kind, /** @type {string} */ team) => `${kind}-${team}`;
/** Every IAM name this stack makes lives under this path, apart from the services' own roles (path /). */
export const IAM_PATH = '/github-deploy/';
export const OIDC_HOST = 'token.actions.githubusercontent.com';
export const OIDC_AUDIENCE = 'sts.amazonaws.com';

/**
 * The roles of one kind, by team: `deploy` (staging and production) or `preview`.
 * @typedef {'deploy' | 'preview'} Kind
 */
export const KINDS = /** @type {const} */ (['deploy', 'preview']);
export const roleNames = (/** @type {string} */ team, /** @type {Kind} */ kind) =>
  kind === 'deploy'
    ? { deploy: `github-deploy-${team}`, execution: `cfn-exec-${team}`, boundary: `boundary-${team}` }
    : { deploy: `github-preview-${team}`, execution: `cfn-exec-preview-${team}`, boundary: `boundary-preview-${team}` };

/**
 * The smoke test's roles (system-tests/smoke, run by the stage's own GitHub
 * environment, `staging`, `production` or `preview`): it reads every stack's
 * outputs (DescribeStacks) and one item of the notifier's table, the
 * notification of the order it placed (GetItem; no route shows notifications).
 */
export const SMOKE_ROLES = /** @type {const} */ ({ deploy: 'github-smoke', preview: 'github-smoke-preview' });
export const SMOKE_NOTIFICATIONS = Object.freeze({ service: 'notifier', tableSuffix: '-notifications', leadingKeys: 'NOTIFICATION#*' });

/**
 * Who owns which service: each service's scope:* tag (services/<service>/project.json),
 * and the GitHub team that scope is (tools/ownership/teams.json).
 * @typedef {{ service: string, scope: string, githubTeam: string }} Owned
 * @param {string} [root]
 * @returns {Owned[]} sorted by service
 */
export function readOwnership(root = ROOT) {
  /** @type {{ scopes: Record<string, string> }} */
  const { scopes } = JSON.parse(readFileSync(path.join(root, 'tools/ownership/teams.json'), 'utf8'));
  const servicesDir = path.join(root, 'services');
  return readdirSync(servicesDir)
    .filter((name) => existsSync(path.join(servicesDir, name, 'project.json')))
    .sort()
    .map((service) => {
      /** @type {{ tags?: string[] }} */
      const project = JSON.parse(readFileSync(path.join(servicesDir, service, 'project.json'), 'utf8'));
      const scopeTags = (project.tags ?? []).filter((tag) => tag.startsWith('scope:'));
      if (scopeTags.length !== 1) throw new Error(`services/${service}/project.json: expected one scope:* tag, found ${scopeTags.join(', ') || 'none'}`);
      const scope = /** @type {string} */ (scopeTags[0]).slice('scope:'.length);
      const githubTeam = scopes[scope];
      if (!githubTeam) throw new Error(`services/${service}: scope ${scope} is not in tools/ownership/teams.json`);
      return { service, scope, githubTeam };
    });
}

/** A CloudFormation logical id part: `order-processor` → `OrderProcessor`. */
const pascal = (/** @type {string} */ name) => name.replace(/(^|[-_/])([a-z0-9])/g, (_, _sep, c) => c.toUpperCase());
/** `Fn::Sub` of an ARN (partition, region and account are this stack's). */
const sub = (/** @type {string} */ text) => ({ 'Fn::Sub': text });

/**
 * The ARNs of what the stacks of `services` at `stagePrefix` ('' = any stage,
 * 'pr-' = previews) are named: `<service>-<stagePrefix>*` throughout (the
 * service's stack, deployment bucket, tables, queues, topics, functions,
 * roles, alarms, rules), `/aws/lambda/…` and `/aws/http-api/…` log groups,
 * and secrets under `<service>/<stagePrefix>`.
 * @param {string[]} services @param {string} stagePrefix
 */
export const arnsOf = (services, stagePrefix) => {
  const each = (/** @type {(name: string, service: string) => string} */ make) => services.map((service) => make(`${service}-${stagePrefix}`, service));
  return {
    stacks: each((name) => `arn:aws:cloudformation:*:*:stack/${name}*/*`),
    buckets: each((name) => `arn:aws:s3:::${name}*`),
    objects: each((name) => `arn:aws:s3:::${name}*/*`),
    tables: each((name) => `arn:aws:dynamodb:*:*:table/${name}*`),
    queues: each((name) => `arn:aws:sqs:*:*:${name}*`),
    topics: each((name) => `arn:aws:sns:*:*:${name}*`),
    functions: each((name) => `arn:aws:lambda:*:*:function:${name}*`),
    roles: each((name) => `arn:aws:iam::*:role/${name}*`),
    logGroups: [...each((name) => `arn:aws:logs:*:*:log-group:/aws/lambda/${name}*`), ...each((name) => `arn:aws:logs:*:*:log-group:/aws/http-api/${name}*`)],
    alarms: each((name) => `arn:aws:cloudwatch:*:*:alarm:${name}*`),
    dashboards: each((name) => `arn:aws:cloudwatch::*:dashboard/${name}*`),
    rules: each((name) => `arn:aws:events:*:*:rule/${name}*`),
    secrets: each((_name, service) => `arn:aws:secretsmanager:*:*:secret:${service}/${stagePrefix}*`),
  };
};

/**
 * Actions that name no resource (IAM offers only `*` for them), each with
 * why a role here needs it. The policy test allows a `Resource: *` statement
 * only with these actions, or with a condition that scopes it.
 */
export const UNSCOPED_ACTIONS = Object.freeze({
  'cloudformation:ValidateTemplate': 'serverless deploy validates the compiled template before uploading it',
  'cloudformation:ListExports': 'serverless info, and the deploy order checks, read the stage\'s exports (the bus topic)',
  'cloudwatch:DescribeAlarms': 'rollback triggers and the alarms\' own handler read alarm state; read-only',
  'logs:DescribeLogGroups': 'the log group handler lists by prefix; read-only',
  'logs:CreateLogDelivery': 'HTTP API access logging (API Gateway sets up a log delivery as the caller)',
  'logs:GetLogDelivery': 'HTTP API access logging',
  'logs:UpdateLogDelivery': 'HTTP API access logging',
  'logs:DeleteLogDelivery': 'HTTP API access logging',
  'logs:ListLogDeliveries': 'HTTP API access logging',
  'logs:PutResourcePolicy': 'HTTP API access logging: API Gateway adds itself to the account\'s log resource policy as the caller',
  'logs:DescribeResourcePolicies': 'HTTP API access logging',
  'secretsmanager:GetRandomPassword': 'a secret\'s GenerateSecretString (the cursor key)',
  'dynamodb:ListTables': 'preview roles: tools/ci/remove-preview.mjs finds the closed stage\'s retained tables by name; lists names only',
  'sqs:ListQueues': 'preview roles: tools/ci/remove-preview.mjs finds the closed stage\'s retained queues by name prefix; lists names only',
  'secretsmanager:ListSecrets': 'preview roles: tools/ci/remove-preview.mjs finds the closed stage\'s retained secrets by name; lists names only',
  'kms:CreateKey': 'the bus\'s alarm-topic key (a new key has no ARN to scope to yet); the platform team only',
  'xray:PutResourcePolicy': 'the bus lets SNS send traces to X-Ray (X-Ray resource policies have no ARN); the platform team only',
  'xray:DeleteResourcePolicy': 'as xray:PutResourcePolicy',
  'xray:ListResourcePolicies': 'as xray:PutResourcePolicy',
  'xray:PutTraceSegments': 'boundary: functions send traces (X-Ray has no resource ARNs)',
  'xray:PutTelemetryRecords': 'boundary: as xray:PutTraceSegments',
  'xray:GetSamplingRules': 'boundary: the X-Ray SDK reads the sampling rules',
  'xray:GetSamplingTargets': 'boundary: as xray:GetSamplingRules',
});

/**
 * ARNs that do not carry a team's names, each with why it is granted and
 * what limits it instead. The policy test allows only these besides the
 * team's own `<service>-` names.
 */
export const UNSCOPED_ARNS = Object.freeze({
  ['arn:aws:apigateway:*::/apis']: 'HTTP APIs have ids, not names, in their ARNs: a team may create one; it changes others\' only through a stack it may deploy',
  ['arn:aws:apigateway:*::/apis/*']: 'as /apis: the routes, integrations, stages and authorizers of an HTTP API',
  ['arn:aws:apigateway:*::/tags/*']: 'CloudFormation tags each HTTP API with its stack\'s tags',
  ['arn:aws:lambda:*:*:event-source-mapping:*']: 'event source mappings have ids: the statement requires lambda:FunctionArn to be one of the team\'s functions, or only tags them',
  ['arn:aws:kms:*:*:key/*']: 'the bus\'s alarm-topic key has an id, not a name; the platform team only',
  [`arn:aws:sns:*:*:${EVENT_BUS_SERVICE}-*`]: 'every consumer subscribes its queue to the platform\'s bus (subscribe, not publish or change the topic)',
  [`arn:aws:sns:*:*:${EVENT_BUS_SERVICE}-${PREVIEW_STAGE_PREFIX}*`]: 'as the bus, on preview stages',
});

/** @typedef {{ Sid: string, Effect: 'Allow' | 'Deny', Action: string[], Resource: unknown, Condition?: unknown }} Statement */

/**
 * @param {string} Sid @param {string[]} Action @param {unknown} Resource
 * @param {unknown} [Condition]
 * @returns {Statement}
 */
const allow = (Sid, Action, Resource, Condition) => ({ Sid, Effect: 'Allow', Action: [...Action].sort(), Resource, ...(Condition ? { Condition } : {}) });

const roleArn = (/** @type {string} */ name) => sub(`arn:aws:iam::\${AWS::AccountId}:role${IAM_PATH}${name}`);
const policyArn = (/** @type {string} */ name) => sub(`arn:aws:iam::\${AWS::AccountId}:policy${IAM_PATH}${name}`);

/**
 * What the GitHub role needs itself: drive CloudFormation on the team's
 * stacks, always through the team's execution role, and what `serverless
 * deploy` (osls 4) calls outside CloudFormation (node_modules/serverless/lib/
 * plugins/aws/deploy and info): the deployment bucket (the stack's own
 * `ServerlessDeploymentBucket`, which CloudFormation names
 * `<stack>-serverlessdeploymentbucket-<random>`), the code-hash check
 * (lambda:GetFunction), the HTTP API URL (apigateway GET). Reads of the
 * stage's tables, queues and secrets let the deploy tooling name what a
 * removed stage retained before CloudFormation trips on it.
 * @param {string[]} services @param {Kind} kind @param {string} executionRole
 */
function deployPolicy(services, kind, executionRole) {
  const arns = arnsOf(services, kind === 'preview' ? PREVIEW_STAGE_PREFIX : '');
  const throughExecutionRole = { StringEquals: { 'cloudformation:RoleArn': roleArn(executionRole) } };
  const writeActions = ['cloudformation:CreateStack', 'cloudformation:UpdateStack', 'cloudformation:CreateChangeSet'];
  if (kind === 'preview') writeActions.push('cloudformation:DeleteStack');
  /** @type {Statement[]} */
  const statements = [
    allow('StacksThroughTheExecutionRole', writeActions, arns.stacks, throughExecutionRole),
    allow(
      'StacksChangeSetsAndState',
      [
        'cloudformation:CancelUpdateStack',
        'cloudformation:ContinueUpdateRollback',
        'cloudformation:DeleteChangeSet',
        'cloudformation:DescribeChangeSet',
        'cloudformation:DescribeStackEvents',
        'cloudformation:DescribeStackResource',
        'cloudformation:DescribeStackResources',
        'cloudformation:DescribeStacks',
        'cloudformation:ExecuteChangeSet',
        'cloudformation:GetTemplate',
        'cloudformation:GetTemplateSummary',
        'cloudformation:ListChangeSets',
        'cloudformation:ListStackResources',
        'cloudformation:TagResource',
        'cloudformation:UntagResource',
      ],
      arns.stacks,
    ),
    allow('TemplateChecksAndExports', ['cloudformation:ListExports', 'cloudformation:ValidateTemplate', 'cloudwatch:DescribeAlarms'], '*'),
    allow('PassOnlyTheExecutionRole', ['iam:PassRole'], roleArn(executionRole), { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } }),
    allow('DeploymentBucket', ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketVersions'], arns.buckets),
    allow(
      'DeploymentArtifacts',
      kind === 'preview' ? ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:GetObject', 's3:PutObject'] : ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'],
      arns.objects,
    ),
    allow('CodeHashCheck', ['lambda:GetFunction'], arns.functions),
    allow('HttpApiUrl', ['apigateway:GET'], ['arn:aws:apigateway:*::/apis/*']),
    allow('RetainedResources', ['dynamodb:DescribeTable', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'secretsmanager:DescribeSecret'], [...arns.tables, ...arns.queues, ...arns.secrets]),
  ];
  // A stack adopts existing resources only by an import, which CI never
  // makes: an import could adopt what a name does not scope (an HTTP API,
  // a KMS key) into a stack the team may then change or delete.
  statements.push({
    Sid: 'NoResourceImports',
    Effect: 'Deny',
    Action: ['cloudformation:CreateChangeSet'],
    Resource: '*',
    Condition: { Null: { 'cloudformation:ImportResourceTypes': 'false' } },
  });
  if (kind === 'preview') {
    // A closed pull request's stage goes entirely: CloudFormation leaves the
    // tables, DLQs and secrets it retains (DeletionPolicy: Retain), and only
    // a preview stage's may be deleted.
    statements.push(
      allow('FindPreviewRetainedResources', ['dynamodb:ListTables', 'secretsmanager:ListSecrets', 'sqs:ListQueues'], '*'),
      allow('DeletePreviewRetainedResources', ['dynamodb:DeleteTable', 'secretsmanager:DeleteSecret', 'sqs:DeleteQueue'], [...arns.tables, ...arns.queues, ...arns.secrets]),
      // A retained bucket (items-api's images) goes once emptied (DeploymentArtifacts deletes its objects and their versions).
      allow('DeletePreviewRetainedBuckets', ['s3:DeleteBucket'], arns.buckets),
    );
  }
  return { Version: '2012-10-17', Statement: statements };
}

/**
 * What CloudFormation may do with the team's execution role: create, change
 * and delete the resource types the team's stacks hold (the compiled
 * templates of osls 4 + serverless-iam-roles-per-function + infra/serverless),
 * named under the team's `<service>-` prefixes. Function roles must carry the
 * team's permissions boundary (when RequirePermissionsBoundary is true).
 * @param {string[]} services @param {Kind} kind @param {{ boundary: string, ownsBus: boolean }} options
 */
function executionPolicy(services, kind, { boundary, ownsBus }) {
  const stagePrefix = kind === 'preview' ? PREVIEW_STAGE_PREFIX : '';
  const arns = arnsOf(services, stagePrefix);
  // The bus's stack holds no function, table, queue or API: only what the
  // other services' stacks hold is granted on their names.
  const functionServices = services.filter((service) => service !== EVENT_BUS_SERVICE);
  const fn = arnsOf(functionServices, stagePrefix);
  const withBoundary = { 'Fn::If': ['RequireBoundary', { StringEquals: { 'iam:PermissionsBoundary': policyArn(boundary) } }, { Ref: 'AWS::NoValue' }] };
  /** @type {Statement[]} */
  const statements = [
    // The stacks' buckets, all named `<service>-<stage>-…`: the framework's deployment
    // bucket, and the buckets a service declares (items-api's images bucket,
    // `<stack>-images-<account>-<region>`): private, encrypted, with CORS, lifecycle
    // rules, a TLS-only policy and notifications to the stack's own queues.
    allow(
      'Buckets',
      [
        's3:CreateBucket',
        's3:DeleteBucket',
        's3:DeleteBucketPolicy',
        's3:GetAccelerateConfiguration',
        's3:GetAnalyticsConfiguration',
        's3:GetBucket*',
        's3:GetEncryptionConfiguration',
        's3:GetIntelligentTieringConfiguration',
        's3:GetInventoryConfiguration',
        's3:GetLifecycleConfiguration',
        's3:GetMetricsConfiguration',
        's3:GetReplicationConfiguration',
        's3:ListBucket',
        's3:PutBucketCORS',
        's3:PutBucketNotification',
        's3:PutBucketOwnershipControls',
        's3:PutBucketPolicy',
        's3:PutBucketPublicAccessBlock',
        's3:PutBucketTagging',
        's3:PutBucketVersioning',
        's3:PutEncryptionConfiguration',
        's3:PutLifecycleConfiguration',
      ],
      arns.buckets,
    ),
    allow(
      'Topics',
      [
        'sns:CreateTopic',
        'sns:DeleteTopic',
        'sns:GetSubscriptionAttributes',
        'sns:GetTopicAttributes',
        'sns:ListSubscriptionsByTopic',
        'sns:ListTagsForResource',
        'sns:SetSubscriptionAttributes',
        'sns:SetTopicAttributes',
        'sns:Subscribe',
        'sns:TagResource',
        'sns:Unsubscribe',
        'sns:UntagResource',
      ],
      arns.topics,
    ),
  ];
  if (functionServices.length > 0) {
    statements.push(
      // Lambda reads each function's zip from the deployment bucket as the caller.
      allow('FunctionCode', ['s3:GetObject'], fn.objects),
      allow(
        'Functions',
        [
          'lambda:AddPermission',
          'lambda:CreateFunction',
          'lambda:DeleteFunction',
          'lambda:DeleteFunctionConcurrency',
          'lambda:GetFunction',
          'lambda:GetFunctionCodeSigningConfig',
          'lambda:GetFunctionConfiguration',
          'lambda:GetFunctionRecursionConfig',
          'lambda:GetPolicy',
          'lambda:GetRuntimeManagementConfig',
          'lambda:ListTags',
          'lambda:ListVersionsByFunction',
          'lambda:PublishVersion',
          'lambda:PutFunctionConcurrency',
          'lambda:RemovePermission',
          'lambda:TagResource',
          'lambda:UntagResource',
          'lambda:UpdateFunctionCode',
          'lambda:UpdateFunctionConfiguration',
        ],
        fn.functions,
      ),
      allow(
        'EventSourceMappingsOfTheTeamsFunctions',
        ['lambda:CreateEventSourceMapping', 'lambda:DeleteEventSourceMapping', 'lambda:GetEventSourceMapping', 'lambda:UpdateEventSourceMapping'],
        '*',
        { ArnLike: { 'lambda:FunctionArn': fn.functions } },
      ),
      allow('EventSourceMappingTags', ['lambda:ListTags', 'lambda:TagResource', 'lambda:UntagResource'], ['arn:aws:lambda:*:*:event-source-mapping:*']),
      // serverless-iam-roles-per-function: one role per function.
      allow('FunctionRolesWithTheBoundary', ['iam:CreateRole', 'iam:PutRolePermissionsBoundary', 'iam:PutRolePolicy'], fn.roles, withBoundary),
      allow(
        'FunctionRoles',
        [
          'iam:DeleteRole',
          'iam:DeleteRolePolicy',
          'iam:DetachRolePolicy',
          'iam:GetRole',
          'iam:GetRolePolicy',
          'iam:ListAttachedRolePolicies',
          'iam:ListInstanceProfilesForRole',
          'iam:ListRolePolicies',
          'iam:ListRoleTags',
          'iam:TagRole',
          'iam:UntagRole',
          'iam:UpdateAssumeRolePolicy',
          'iam:UpdateRole',
          'iam:UpdateRoleDescription',
        ],
        fn.roles,
      ),
      allow('PassFunctionRolesToLambda', ['iam:PassRole'], fn.roles, { StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } }),
      allow(
        'Tables',
        [
          'dynamodb:CreateTable',
          'dynamodb:DeleteTable',
          'dynamodb:DescribeContinuousBackups',
          'dynamodb:DescribeContributorInsights',
          'dynamodb:DescribeKinesisStreamingDestination',
          'dynamodb:DescribeTable',
          'dynamodb:DescribeTimeToLive',
          'dynamodb:GetResourcePolicy',
          'dynamodb:ListTagsOfResource',
          'dynamodb:TagResource',
          'dynamodb:UntagResource',
          'dynamodb:UpdateContinuousBackups',
          'dynamodb:UpdateContributorInsights',
          'dynamodb:UpdateTable',
          'dynamodb:UpdateTimeToLive',
        ],
        fn.tables,
      ),
      allow(
        'Queues',
        ['sqs:CreateQueue', 'sqs:DeleteQueue', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ListQueueTags', 'sqs:SetQueueAttributes', 'sqs:TagQueue', 'sqs:UntagQueue'],
        fn.queues,
      ),
      allow(
        'LogGroups',
        [
          'logs:CreateLogGroup',
          'logs:DeleteLogGroup',
          'logs:DeleteRetentionPolicy',
          'logs:ListTagsForResource',
          'logs:ListTagsLogGroup',
          'logs:PutRetentionPolicy',
          'logs:TagLogGroup',
          'logs:TagResource',
          'logs:UntagLogGroup',
          'logs:UntagResource',
        ],
        fn.logGroups,
      ),
      allow(
        'HttpApiAccessLogsAndReads',
        [
          'cloudwatch:DescribeAlarms',
          'logs:CreateLogDelivery',
          'logs:DeleteLogDelivery',
          'logs:DescribeLogGroups',
          'logs:DescribeResourcePolicies',
          'logs:GetLogDelivery',
          'logs:ListLogDeliveries',
          'logs:PutResourcePolicy',
          'logs:UpdateLogDelivery',
          'secretsmanager:GetRandomPassword',
        ],
        '*',
      ),
      allow(
        'Alarms',
        ['cloudwatch:DeleteAlarms', 'cloudwatch:ListTagsForResource', 'cloudwatch:PutCompositeAlarm', 'cloudwatch:PutMetricAlarm', 'cloudwatch:TagResource', 'cloudwatch:UntagResource'],
        fn.alarms,
      ),
      allow(
        'HttpApis',
        ['apigateway:DELETE', 'apigateway:GET', 'apigateway:PATCH', 'apigateway:POST', 'apigateway:PUT'],
        ['arn:aws:apigateway:*::/apis', 'arn:aws:apigateway:*::/apis/*', 'arn:aws:apigateway:*::/tags/*'],
      ),
      allow(
        'ScheduleRules',
        [
          'events:DeleteRule',
          'events:DescribeRule',
          'events:DisableRule',
          'events:EnableRule',
          'events:ListTagsForResource',
          'events:ListTargetsByRule',
          'events:PutRule',
          'events:PutTargets',
          'events:RemoveTargets',
          'events:TagResource',
          'events:UntagResource',
        ],
        fn.rules,
      ),
      allow(
        'Secrets',
        ['secretsmanager:CreateSecret', 'secretsmanager:DeleteSecret', 'secretsmanager:DescribeSecret', 'secretsmanager:TagResource', 'secretsmanager:UntagResource', 'secretsmanager:UpdateSecret'],
        fn.secrets,
      ),
      allow(
        'SubscribeQueuesToTheBus',
        ['sns:GetSubscriptionAttributes', 'sns:SetSubscriptionAttributes', 'sns:Subscribe', 'sns:Unsubscribe'],
        `arn:aws:sns:*:*:${EVENT_BUS_SERVICE}-${stagePrefix}*`,
      ),
    );
  }
  if (ownsBus) {
    const bus = arnsOf([EVENT_BUS_SERVICE], stagePrefix);
    statements.push(
      allow('BusDashboard', ['cloudwatch:DeleteDashboards', 'cloudwatch:GetDashboard', 'cloudwatch:PutDashboard'], bus.dashboards),
      allow('BusAlarmTopicKeyAndTracing', ['kms:CreateKey', 'xray:DeleteResourcePolicy', 'xray:ListResourcePolicies', 'xray:PutResourcePolicy'], '*'),
      allow(
        'BusAlarmTopicKey',
        [
          'kms:DescribeKey',
          'kms:DisableKeyRotation',
          'kms:EnableKeyRotation',
          'kms:GetKeyPolicy',
          'kms:GetKeyRotationStatus',
          'kms:ListResourceTags',
          'kms:PutKeyPolicy',
          'kms:ScheduleKeyDeletion',
          'kms:TagResource',
          'kms:UntagResource',
          'kms:UpdateKeyDescription',
        ],
        'arn:aws:kms:*:*:key/*',
      ),
    );
  }
  // No stack may lift a boundary off a role, whatever else it is allowed.
  statements.push({ Sid: 'NeverLiftABoundary', Effect: 'Deny', Action: ['iam:DeleteRolePermissionsBoundary'], Resource: '*' });
  return { Version: '2012-10-17', Statement: statements };
}

/**
 * The most any function role of the team's stacks may do (a permissions
 * boundary): what the functions use (compiled templates: DynamoDB items and
 * streams, SQS, SNS publish, the cursor secret, logs, X-Ray), on the team's
 * names, plus publishing to the bus and objects in the team's buckets (Get,
 * Put and Delete: items-api's presigned uploads, image moves and reads; each
 * function's own role names its prefixes, template-policy declaredS3Grants).
 * @param {string[]} services @param {Kind} kind
 */
function boundaryPolicy(services, kind) {
  const stagePrefix = kind === 'preview' ? PREVIEW_STAGE_PREFIX : '';
  const arns = arnsOf(services, stagePrefix);
  return {
    Version: '2012-10-17',
    Statement: [
      allow(
        'TeamTables',
        [
          'dynamodb:BatchGetItem',
          'dynamodb:BatchWriteItem',
          'dynamodb:ConditionCheckItem',
          'dynamodb:DeleteItem',
          'dynamodb:DescribeStream',
          'dynamodb:DescribeTable',
          'dynamodb:GetItem',
          'dynamodb:GetRecords',
          'dynamodb:GetShardIterator',
          'dynamodb:ListStreams',
          'dynamodb:PutItem',
          'dynamodb:Query',
          'dynamodb:Scan',
          'dynamodb:UpdateItem',
        ],
        arns.tables,
      ),
      allow(
        'TeamQueues',
        ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage', 'sqs:SendMessage'],
        arns.queues,
      ),
      allow('PublishToTeamTopicsAndTheBus', ['sns:Publish'], [...arns.topics, `arn:aws:sns:*:*:${EVENT_BUS_SERVICE}-${stagePrefix}*`]),
      allow('TeamSecrets', ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'], arns.secrets),
      allow('TeamObjects', ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'], arns.objects),
      allow('FunctionLogs', ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], arns.logGroups),
      allow('Traces', ['xray:GetSamplingRules', 'xray:GetSamplingTargets', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'], '*'),
    ],
  };
}

/**
 * What the smoke test reads on `kind`'s stages: every service's stack
 * (outputs), and in the notifier's notifications table only the items whose
 * key is a notification's.
 * @param {string[]} services every service @param {Kind} kind
 */
function smokePolicy(services, kind) {
  const stagePrefix = kind === 'preview' ? PREVIEW_STAGE_PREFIX : '';
  if (!services.includes(SMOKE_NOTIFICATIONS.service)) throw new Error(`the smoke test reads ${SMOKE_NOTIFICATIONS.service}'s table, and there is no services/${SMOKE_NOTIFICATIONS.service}`);
  const table = `arn:aws:dynamodb:*:*:table/${SMOKE_NOTIFICATIONS.service}-${stagePrefix}*${SMOKE_NOTIFICATIONS.tableSuffix}`;
  return {
    Version: '2012-10-17',
    Statement: [
      allow('StackOutputs', ['cloudformation:DescribeStacks'], arnsOf(services, stagePrefix).stacks),
      allow('NotificationRecords', ['dynamodb:GetItem'], [table], { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [SMOKE_NOTIFICATIONS.leadingKeys] } }),
    ],
  };
}

/**
 * The role GitHub Actions assumes from one team's environments of this repository.
 * @param {string[]} environments
 */
const githubTrust = (environments) => ({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Federated: { 'Fn::If': ['CreateOidcProvider', { Ref: 'GitHubOidcProvider' }, sub(`arn:aws:iam::\${AWS::AccountId}:oidc-provider/${OIDC_HOST}`)] } },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: {
        StringEquals: {
          [`${OIDC_HOST}:aud`]: OIDC_AUDIENCE,
          [`${OIDC_HOST}:sub`]: environments.map((environment) => sub(`repo:\${GitHubRepository}:environment:${environment}`)),
        },
      },
    },
  ],
});

const cloudFormationTrust = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'cloudformation.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};

/**
 * The bootstrap template for `owned` (readOwnership()).
 * @param {Owned[]} owned
 */
export function buildTemplate(owned) {
  /** @type {Map<string, string[]>} scope → its services */
  const teams = new Map();
  for (const { service, scope } of owned) teams.set(scope, [...(teams.get(scope) ?? []), service]);
  /** @type {Record<string, unknown>} */
  const resources = {
    GitHubOidcProvider: {
      Type: 'AWS::IAM::OIDCProvider',
      Condition: 'CreateOidcProvider',
      Properties: { Url: `https://${OIDC_HOST}`, ClientIdList: [OIDC_AUDIENCE] },
    },
  };
  /** @type {Record<string, unknown>} */
  const outputs = {
    GitHubOidcProviderArn: {
      Description: 'The GitHub OIDC provider the deploy roles trust',
      Value: { 'Fn::If': ['CreateOidcProvider', { Ref: 'GitHubOidcProvider' }, sub(`arn:aws:iam::\${AWS::AccountId}:oidc-provider/${OIDC_HOST}`)] },
    },
  };
  for (const [team, services] of [...teams].sort(([a], [b]) => a.localeCompare(b))) {
    const ownsBus = services.includes(EVENT_BUS_SERVICE);
    for (const kind of KINDS) {
      const names = roleNames(team, kind);
      const id = `${pascal(team)}${kind === 'deploy' ? '' : 'Preview'}`;
      const environments = kind === 'deploy' ? STAGE_ENVIRONMENTS.map((stage) => environmentName(stage, team)) : [environmentName(PREVIEW_ENVIRONMENT, team)];
      const stages = kind === 'deploy' ? 'any stage' : `preview stages (${PREVIEW_STAGE_PREFIX}*)`;
      resources[`${id}Boundary`] = {
        Type: 'AWS::IAM::ManagedPolicy',
        Properties: {
          ManagedPolicyName: names.boundary,
          Path: IAM_PATH,
          Description: `Permissions boundary of every function role in ${team}'s stacks on ${stages}: ${services.join(', ')}`,
          PolicyDocument: boundaryPolicy(services, kind),
        },
      };
      resources[`${id}ExecutionRole`] = {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: names.execution,
          Path: IAM_PATH,
          Description: `CloudFormation creates ${team}'s stacks (${services.join(', ')}) on ${stages} with this role`,
          AssumeRolePolicyDocument: cloudFormationTrust,
          Policies: [{ PolicyName: 'team-stack-resources', PolicyDocument: executionPolicy(services, kind, { boundary: names.boundary, ownsBus }) }],
        },
      };
      resources[`${id}DeployRole`] = {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: names.deploy,
          Path: IAM_PATH,
          Description: `GitHub Actions (environments ${environments.join(', ')}) deploys ${team}'s stacks (${services.join(', ')}) on ${stages}`,
          MaxSessionDuration: 3600,
          AssumeRolePolicyDocument: githubTrust(environments),
          Policies: [{ PolicyName: 'team-stacks', PolicyDocument: deployPolicy(services, kind, names.execution) }],
        },
      };
      for (const [suffix, what, value] of /** @type {const} */ ([
        ['DeployRoleArn', `AWS_DEPLOY_ROLE_ARN of the ${environments.join(', ')} environment(s)`, { 'Fn::GetAtt': [`${id}DeployRole`, 'Arn'] }],
        ['ExecutionRoleArn', `CFN_EXECUTION_ROLE_ARN of the ${environments.join(', ')} environment(s)`, { 'Fn::GetAtt': [`${id}ExecutionRole`, 'Arn'] }],
        ['BoundaryArn', `PERMISSIONS_BOUNDARY_ARN of the ${environments.join(', ')} environment(s)`, { Ref: `${id}Boundary` }],
      ])) {
        outputs[`${id}${suffix}`] = { Description: what, Value: value };
      }
    }
  }
  const allServices = owned.map(({ service }) => service);
  for (const kind of KINDS) {
    const id = kind === 'deploy' ? 'Smoke' : 'PreviewSmoke';
    const environments = kind === 'deploy' ? STAGE_ENVIRONMENTS : [PREVIEW_ENVIRONMENT];
    resources[`${id}Role`] = {
      Type: 'AWS::IAM::Role',
      Properties: {
        RoleName: SMOKE_ROLES[kind],
        Path: IAM_PATH,
        Description: `GitHub Actions (environments ${environments.join(', ')}) runs the smoke test: reads the stacks' outputs and the notification records`,
        MaxSessionDuration: 3600,
        AssumeRolePolicyDocument: githubTrust(environments),
        Policies: [{ PolicyName: 'smoke-reads', PolicyDocument: smokePolicy(allServices, kind) }],
      },
    };
    outputs[`${id}RoleArn`] = { Description: `AWS_SMOKE_ROLE_ARN of the ${environments.join(', ')} environment(s)`, Value: { 'Fn::GetAtt': [`${id}Role`, 'Arn'] } };
  }
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description:
      'Account bootstrap (infra/bootstrap, docs/bootstrap.md): the GitHub OIDC provider and, per team, the roles GitHub Actions deploys the team\'s own stacks with. Generated by infra/bootstrap/template.mjs.',
    Metadata: {
      Teams: Object.fromEntries([...teams].sort(([a], [b]) => a.localeCompare(b))),
      Environments: {
        ...Object.fromEntries(
          [...teams.keys()].sort().map((team) => [team, { deploy: STAGE_ENVIRONMENTS.map((stage) => environmentName(stage, team)), preview: environmentName(PREVIEW_ENVIRONMENT, team) }]),
        ),
        smoke: { deploy: STAGE_ENVIRONMENTS, preview: PREVIEW_ENVIRONMENT },
      },
    },
    Parameters: {
      GitHubRepository: {
        Type: 'String',
        Description: 'The repository whose workflows may deploy, as owner/name (the OIDC token\'s sub starts repo:<owner/name>:)',
        AllowedPattern: '^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$',
        ConstraintDescription: 'owner/name, e.g. acme/serverless-platform',
      },
      CreateOidcProvider: {
        Type: 'String',
        Description: `true: create the ${OIDC_HOST} provider; false: the account has one already (an account holds at most one per URL)`,
        AllowedValues: ['true', 'false'],
        Default: 'true',
      },
      RequirePermissionsBoundary: {
        Type: 'String',
        Description:
          'true: the execution roles create function roles only with the team\'s permissions boundary (the deploy sets PERMISSIONS_BOUNDARY_ARN); false: without that condition',
        AllowedValues: ['true', 'false'],
        Default: 'true',
      },
    },
    Conditions: {
      CreateOidcProvider: { 'Fn::Equals': [{ Ref: 'CreateOidcProvider' }, 'true'] },
      RequireBoundary: { 'Fn::Equals': [{ Ref: 'RequirePermissionsBoundary' }, 'true'] },
    },
    Resources: resources,
    Outputs: outputs,
  };
}

/**
 * JSON, indented, with each array of strings and each small object on one
 * line, so an IAM statement reads as one block. (The template is over the
 * 51,200 bytes CloudFormation takes inline: it is deployed through an S3
 * bucket, docs/bootstrap.md.)
 * @param {unknown} value @param {string} [indent]
 * @returns {string}
 */
export const formatJson = (value, indent = '') => {
  const inline = JSON.stringify(value);
  const flat = Array.isArray(value) ? value.every((item) => typeof item !== 'object' || item === null) : value === null || typeof value !== 'object';
  if (flat || inline.length <= 80) return inline;
  const inner = `${indent}  `;
  if (Array.isArray(value)) return `[\n${value.map((item) => `${inner}${formatJson(item, inner)}`).join(',\n')}\n${indent}]`;
  const entries = Object.entries(/** @type {Record<string, unknown>} */ (value));
  return `{\n${entries.map(([key, item]) => `${inner}${JSON.stringify(key)}: ${formatJson(item, inner)}`).join(',\n')}\n${indent}}`;
};

/** The template as template.json holds it. @param {Owned[]} [owned] */
export const renderTemplate = (owned = readOwnership()) => `${formatJson(buildTemplate(owned))}\n`;

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const rendered = renderTemplate();
  const relative = path.relative(process.cwd(), TEMPLATE_FILE);
  if (process.argv.includes('--check')) {
    const current = existsSync(TEMPLATE_FILE) ? readFileSync(TEMPLATE_FILE, 'utf8') : '';
    if (current !== rendered) {
      console.error(`${relative} is out of date with the ownership files: run node infra/bootstrap/template.mjs, then redeploy the bootstrap stack (docs/bootstrap.md)`);
      process.exitCode = 1;
    } else {
      console.log(`${relative} is up to date`);
    }
  } else {
    writeFileSync(TEMPLATE_FILE, rendered);
    console.log(`wrote ${relative}`);
  }
}
