// Packages every service exactly as a deploy would (`serverless package`, no
// AWS access needed, each into a folder of its own) and holds what comes out,
// the CloudFormation templates and the function zips,
// to our deployment rules (../template-policy.mjs) and to cfn-lint
// (../cfn-lint.mjs, with ../.cfnlintrc.yaml), all from one compile. The first
// describe block proves on small hand-made templates that each rule really
// fails what it should (cfn-lint.test.mjs does the same for cfn-lint).
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { cfnLint, formatFinding } from '../cfn-lint.mjs';
import { describeDeployPackages } from './deploy-package.mjs';
import { lambda, role, template } from './fixtures.mjs';
import {
  EVENT_BUS_SERVICE,
  activeTracing,
  alarmTopicArn,
  alarmsNotifyTheAlarmTopic,
  bucketNotifications,
  bucketSettings,
  busPublishersOnly,
  declaredS3Grants,
  s3GrantRules,
  dataProtection,
  everythingHasAnAlarm,
  healthAlarm,
  longestStageOf,
  namesWithinLimits,
  platformOperability,
  consumerQueuesSubscribeToTheBus,
  deadLetterQueues,
  eventBusTopicArn,
  functionZips,
  httpApisAuthorizeWrites,
  routeAccess,
  noWildcards,
  MIN_NODE_MAJOR,
  nodeRuntimes,
  oneRolePerFunction,
  ownResourcesOnly,
  queuePoliciesAllowOnlyTheTopic,
  sqsMaximumConcurrency,
  sqsVisibilityTimeout,
  wellFormedStatements,
} from '../template-policy.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const SERVERLESS_BIN = path.join(ROOT, 'node_modules/serverless/bin/serverless.js');
// Every directory of services/ with a serverless.yml is a service, named (in
// its `service:`, and as an Nx project) as its directory.
const SERVICES_DIR = path.join(ROOT, 'services');
const SERVICES = readdirSync(SERVICES_DIR)
  .filter((dir) => existsSync(path.join(SERVICES_DIR, dir, 'serverless.yml')))
  .sort();
const serviceNameOf = (dir) => readFileSync(path.join(SERVICES_DIR, dir, 'serverless.yml'), 'utf8').match(/^service:\s*['"]?([\w-]+)/m)?.[1];
const STAGE = 'dev';
// The stage params a deploy passes (docs/deploying.md); packaging an API without them fails.
const JWT_PARAMS = { JWT_ISSUER_URL: 'https://issuer.example.com/', JWT_AUDIENCE: 'platform-api' };
/** Who may call each route, as the DESIGN brief says: reads of the catalogue are public, its changes need items:write, orders a customer's token. */
const EXPECTED_ACCESS = {
  'items-api': {
    'GET /items': 'public',
    'GET /items/{id}': 'public',
    'POST /items': 'items:write',
    'PATCH /items/{id}': 'items:write',
    'DELETE /items/{id}': 'items:write',
    'POST /items/{id}/image-uploads': 'items:write',
  },
  'order-processor': { 'POST /orders': 'token', 'GET /orders/{id}': 'token' },
};
// Every service names the bus topic by the event bus's export (the bus itself has no queue to name it in).
const BUS_TOPIC_ARN = eventBusTopicArn(STAGE);
// ... and its alarms' actions by the alarm topic's export.
const ALARM_TOPIC_ARN = alarmTopicArn(STAGE);
// What the serverless plugins (infra/serverless) generate, to check it on hand-made templates too.
const require = createRequire(import.meta.url);
const { alarmsFor } = require('@platform/serverless-base/lib/alarms');
const { dashboardBody } = require('@platform/serverless-base/lib/dashboard');
const { alarmTopicArn: alarmTopicArnFor } = require('@platform/serverless-base/lib/names');
const { resolveKnownConditions } = require('@platform/local-runtime/serverless-plugins/local-conditions');
const { EVENT_PRODUCER_SERVICES } = require('@platform/serverless-base/platform');
const { functionRoleName } = require('@platform/serverless-base/lib/names');
const { MAX_STAGE_LENGTH, MAX_STAGE_LENGTH_BY_SERVICE, configNames, longestStage, maxStageLengthsIn, templateNames } = require('@platform/serverless-base/lib/stage-names');
/**
 * What a service declares its template must hold beyond the platform's rules
 * (services/<service>/template-expectations.json, owned by its team): for now,
 * `s3Grants`, exactly what each function may do on which prefix of which bucket.
 * A service without the file declares none, so its functions may have no S3 grant.
 */
/** The stage's CORS origins, as base.cjs gives them to every service's HTTP API (provider.httpApi.cors; CORS_ORIGINS). */
const corsOriginsOf = (state) => state.service.provider.httpApi?.cors?.allowedOrigins ?? [];
const expectationsOf = (service) => {
  const file = path.join(SERVICES_DIR, service, 'template-expectations.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
};
// The longest preview stage the pull-request workflow makes: pr-<number>, up to a million pull requests.
const LONGEST_PR_STAGE = 'pr-999999';
const pick = (object, keys) => Object.fromEntries(keys.map((key) => [key, object[key]]));

// Size budget for one function's zip (compressed, as uploaded). Measured on
// 2026-11-27 with `serverless package --stage dev`, with Powertools Logger,
// Metrics and Tracer bundled and source maps without sourcesContent: items-api
// 214,076 B (publishDomainEvents) to 223,570 B (reserveStock), order-processor
// 213,766 B (publishOrderEvents) to 224,931 B (settleOrders), notifier
// notifyCustomers 222,901 B; event-bus has no functions. The budget is the
// largest, 224,931 B, given ~25% headroom: a new dependency bundled by mistake
// (e.g. an AWS SDK client that `exclude` should keep out, or source text back
// in the maps) breaks it, ordinary growth does not. Raise it on purpose, with
// the new measurements.
const ZIP_BUDGET_BYTES = 280 * 1024;

/** Fails with every problem listed, each under its service and rule. */
const assertNone = (problems, service, rule) =>
  assert.deepEqual(problems, [], `${service}: ${rule}:\n  - ${problems.join('\n  - ')}`);

// ---------------------------------------------------------------------------
// Small hand-made templates. `lambda(...)` is one function with its own role;
// `template(...)` wraps resources.
const allow = (Action, Resource) => ({ Effect: 'Allow', Action, Resource });
const withStatements = (...statements) => template({ Fn: lambda('FnRole'), FnRole: role(statements) });
const sqsFeeding = (queueProperties, functionTimeout) =>
  template({
    Fn: lambda('FnRole', { Timeout: functionTimeout }),
    FnRole: role(),
    Queue: { Type: 'AWS::SQS::Queue', Properties: queueProperties },
    Mapping: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: { EventSourceArn: { 'Fn::GetAtt': ['Queue', 'Arn'] }, FunctionName: { 'Fn::GetAtt': ['Fn', 'Arn'] } },
    },
  });
const TOPIC = { 'Fn::ImportValue': 'event-bus-dev-DomainEventsTopicArn' };
const queuePolicy = (statement) =>
  template({
    Queue: { Type: 'AWS::SQS::Queue', Properties: {} },
    QueuePolicy: {
      Type: 'AWS::SQS::QueuePolicy',
      Properties: {
        Queues: [{ Ref: 'Queue' }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'sns.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: { 'Fn::GetAtt': ['Queue', 'Arn'] },
              Condition: { ArnEquals: { 'aws:SourceArn': TOPIC } },
              ...statement,
            },
          ],
        },
      },
    },
  });

describe('the rules fail what they should (hand-made templates)', () => {
  it('runtime: nodejs22.x and newer pass, older or other runtimes fail', () => {
    const runtimes = (Runtime) => nodeRuntimes(template({ Fn: lambda('R', { Runtime }), R: role() }));
    for (const ok of ['nodejs22.x', 'nodejs24.x', 'nodejs26.x']) assert.deepEqual(runtimes(ok), [], ok);
    for (const old of ['nodejs20.x', 'nodejs18.x', 'python3.13', 'nodejs22', undefined]) assert.equal(runtimes(old).length, 1, String(old));
    assert.equal(MIN_NODE_MAJOR, 22);
    assert.deepEqual(runtimes('nodejs20.x'), ['Fn: Runtime "nodejs20.x": must be nodejs22.x or newer']);
    assert.deepEqual(runtimes(undefined), ['Fn: Runtime is missing: must be nodejs22.x or newer']);
  });

  it('name limits: a role or function name over 64, a queue name over 80 (.fifo included) and a stack name over 128 are flagged, with name, length and limit', () => {
    const where = { stackName: 'svc-dev', region: 'us-east-1' };
    const names = (functionName, roleName, queueName) =>
      template({
        Fn: lambda('FnRole', { FunctionName: functionName }),
        FnRole: { ...role(), Properties: { ...role().Properties, RoleName: roleName } },
        Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: queueName } },
      });
    // At the limits: 64, 64 and 80 characters.
    assert.deepEqual(namesWithinLimits(names(`svc-dev-${'f'.repeat(56)}`, `svc-dev-${'r'.repeat(56)}`, `svc-dev-${'q'.repeat(67)}.fifo`), where), []);
    const over = namesWithinLimits(names(`svc-dev-${'f'.repeat(57)}`, `svc-dev-${'r'.repeat(57)}`, `svc-dev-${'q'.repeat(68)}.fifo`), where);
    assert.deepEqual(over.map((problem) => problem.replace(/"[^"]+"/, '"…"').replace(/ \(https:\/\/docs\.aws\.amazon\.com\/\S+\)$/, '')), [
      'Fn/FunctionName: Lambda function name "…" is 65 characters, over the limit of 64',
      'FnRole/RoleName: IAM role name "…" is 65 characters, over the limit of 64',
      'Queue/QueueName: SQS queue name "…" is 81 characters, over the limit of 80',
    ]);
    assert.match(namesWithinLimits(template({}), { stackName: `s${'x'.repeat(128)}`, region: 'us-east-1' })[0], /^stack: CloudFormation stack name "sx+" is 129 characters, over the limit of 128/);
  });

  it('one role per function: an unused role, a shared role and a role from elsewhere are flagged', () => {
    assert.deepEqual(oneRolePerFunction(template({ Fn: lambda('FnRole'), FnRole: role() })), []);
    assert.deepEqual(oneRolePerFunction(template({ Fn: lambda('FnRole'), FnRole: role(), IamRoleLambdaExecution: role() })), [
      'IamRoleLambdaExecution: IAM role used by no function',
    ]);
    assert.deepEqual(oneRolePerFunction(template({ A: lambda('Shared'), B: lambda('Shared'), Shared: role() })), [
      'Shared: IAM role shared by A, B',
    ]);
    const imported = template({ Fn: lambda('FnRole', { Role: 'arn:aws:iam::123456789012:role/x' }) });
    assert.match(oneRolePerFunction(imported)[0], /^Fn: Role must be/);
  });

  it('wildcards: "*" and "<service>:*" actions and Resource "*" are flagged, except logs/xray on "*" and Deny', () => {
    assert.deepEqual(noWildcards(withStatements(allow(['logs:CreateLogGroup'], '*'), allow('xray:PutTraceSegments', ['*']))), []);
    assert.deepEqual(noWildcards(withStatements({ Effect: 'Deny', Action: 's3:*', Resource: '*' })), []);
    assert.deepEqual(noWildcards(withStatements(allow(['dynamodb:GetItem'], '*'))), [
      'FnRole/Policies/0/Statement/0: Resource "*" for dynamodb:GetItem (only logs:/xray: actions may use "*")',
    ]);
    assert.deepEqual(noWildcards(withStatements(allow(['logs:PutLogEvents', 'sqs:SendMessage'], '*'))), [
      'FnRole/Policies/0/Statement/0: Resource "*" for sqs:SendMessage (only logs:/xray: actions may use "*")',
    ]);
    assert.deepEqual(noWildcards(withStatements(allow('*', 'arn:aws:s3:::b'), allow(['s3:GetObject', 'dynamodb:*'], 'arn:aws:s3:::b'))), [
      'FnRole/Policies/0/Statement/0: Action "*" allows a whole service',
      'FnRole/Policies/0/Statement/1: Action "dynamodb:*" allows a whole service',
    ]);
    assert.equal(noWildcards(withStatements({ Effect: 'Allow', NotAction: 'iam:*', Resource: 'arn:aws:s3:::b' })).length, 1);
    // Queue and topic policies are held to the same rule.
    assert.deepEqual(noWildcards(queuePolicy({ Action: 'sqs:*' })), ['QueuePolicy/PolicyDocument/Statement/0: Action "sqs:*" allows a whole service']);
  });

  it('well-formed statements: one without Action or Resource (a typo such as `Actions:`), or with both of a pair, is flagged', () => {
    const fine = { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/t' };
    // The fixture role's trust policy has no Resource, as a trust policy must not.
    assert.deepEqual(wellFormedStatements(withStatements(fine, { Effect: 'Deny', NotAction: 's3:*', NotResource: 'arn:aws:s3:::b' })), []);
    assert.deepEqual(wellFormedStatements(withStatements({ Effect: 'Allow', Actions: ['dynamodb:GetItem'], Resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/t' })), [
      'FnRole/Policies/0/Statement/0: statement has no Action (nor NotAction), so IAM refuses the policy (unknown keys: Actions)',
    ]);
    assert.deepEqual(wellFormedStatements(withStatements(fine, { Effect: 'Allow', Action: 'sqs:SendMessage' })), [
      'FnRole/Policies/0/Statement/1: statement has no Resource (nor NotResource), so IAM refuses the policy',
    ]);
    assert.deepEqual(wellFormedStatements(withStatements({ ...fine, NotAction: 'dynamodb:PutItem', Effect: 'allow' })), [
      'FnRole/Policies/0/Statement/0: Effect "allow" must be "Allow" or "Deny"',
      'FnRole/Policies/0/Statement/0: statement has both Action and NotAction, so IAM refuses the policy',
    ]);
    assert.deepEqual(wellFormedStatements(queuePolicy({ Resource: undefined })), ['QueuePolicy/PolicyDocument/Statement/0: statement has no Resource (nor NotResource), so IAM refuses the policy']);
  });

  it('SQS visibility: a 30 s queue feeding a 6 s function is flagged, 36 s is not', () => {
    assert.deepEqual(sqsVisibilityTimeout(sqsFeeding({ VisibilityTimeout: 30 }, 6)), [
      'Queue: VisibilityTimeout 30 s is under 6 x the 6 s Timeout of Fn it feeds (needs >= 36 s)',
    ]);
    assert.deepEqual(sqsVisibilityTimeout(sqsFeeding({ VisibilityTimeout: 36 }, 6)), []);
    // Left out, SQS defaults to 30 s.
    assert.equal(sqsVisibilityTimeout(sqsFeeding({}, 6)).length, 1);
  });

  it('SQS event sources: a mapping without ScalingConfig.MaximumConcurrency is flagged; a stream mapping is not', () => {
    const withScaling = (scaling) => {
      const t = sqsFeeding({ VisibilityTimeout: 36 }, 6);
      if (scaling !== undefined) t.Resources.Mapping.Properties.ScalingConfig = scaling;
      return t;
    };
    assert.deepEqual(sqsMaximumConcurrency(withScaling({ MaximumConcurrency: 5 })), []);
    assert.deepEqual(sqsMaximumConcurrency(withScaling(undefined)), [
      'Mapping: SQS event source without ScalingConfig.MaximumConcurrency (2-1000), has undefined',
    ]);
    assert.equal(sqsMaximumConcurrency(withScaling({ MaximumConcurrency: 1 })).length, 1);
    const stream = template({
      Table: { Type: 'AWS::DynamoDB::Table', Properties: {} },
      Mapping: { Type: 'AWS::Lambda::EventSourceMapping', Properties: { EventSourceArn: { 'Fn::GetAtt': ['Table', 'StreamArn'] } } },
    });
    assert.deepEqual(sqsMaximumConcurrency(stream), []);
  });

  it('dead-letter queues: retention other than 14 days and maxReceiveCount other than 5 are flagged', () => {
    const redrive = (dlq, maxReceiveCount) =>
      template({
        Queue: { Type: 'AWS::SQS::Queue', Properties: { RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Dlq', 'Arn'] }, maxReceiveCount } } },
        Dlq: { Type: 'AWS::SQS::Queue', Properties: dlq },
      });
    assert.deepEqual(deadLetterQueues(redrive({ MessageRetentionPeriod: 1209600 }, 5)), []);
    // AWS advises at least 5 receives for a queue that triggers Lambda: 3 (the seed's) is too few.
    assert.deepEqual(deadLetterQueues(redrive({}, 3)), [
      'Queue: RedrivePolicy maxReceiveCount is 3, must be 5',
      'Dlq: dead-letter queue (of Queue) has MessageRetentionPeriod 345600, must be 1209600 (14 days)',
    ]);
    const onFailure = template({
      Dlq: { Type: 'AWS::SQS::Queue', Properties: { MessageRetentionPeriod: 86400 } },
      Mapping: { Type: 'AWS::Lambda::EventSourceMapping', Properties: { DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['Dlq', 'Arn'] } } } } },
    });
    assert.equal(deadLetterQueues(onFailure).length, 1);
  });

  it('queue policies: anything but sns.amazonaws.com sending from the domain-events topic is flagged', () => {
    assert.deepEqual(queuePoliciesAllowOnlyTheTopic(queuePolicy({}), TOPIC), []);
    const flagged = (statement) => queuePoliciesAllowOnlyTheTopic(queuePolicy(statement), TOPIC);
    assert.match(flagged({ Action: ['sqs:SendMessage', 'sqs:ReceiveMessage'] })[0], /must allow only sqs:SendMessage/);
    assert.match(flagged({ Principal: '*' })[0], /principal must be only/);
    assert.match(flagged({ Principal: { Service: 'events.amazonaws.com' } })[0], /principal must be only/);
    assert.match(flagged({ Condition: undefined })[0], /Condition must be ArnEquals aws:SourceArn/);
    assert.match(flagged({ Condition: { ArnEquals: { 'aws:SourceArn': { Ref: 'OtherTopic' } } } })[0], /Condition must be/);
    assert.match(queuePoliciesAllowOnlyTheTopic(queuePolicy({}), undefined)[0], /no domain-events topic/);
  });

  it('own resources only: another service\'s export, table or queue is flagged; the bus export and own names are not', () => {
    const services = ['event-bus', 'items-api', 'notifier', 'order-processor'];
    const check = (t, service = 'order-processor') => ownResourcesOnly(t, { service, stage: 'dev', services });
    const STATEMENT = 'FnRole: Properties/Policies/0/PolicyDocument/Statement/0/Resource';
    const region = { Ref: 'AWS::Region' };

    const own = template({
      Fn: lambda('FnRole', { FunctionName: 'order-processor-dev-settleOrders', Environment: { Variables: { EVENTS_TOPIC_ARN: TOPIC, TABLE_NAME: 'order-processor-dev-orders' } } }),
      FnRole: role([
        allow(['dynamodb:GetItem'], { 'Fn::Join': ['', ['arn:aws:dynamodb:', region, ':123456789012:table/order-processor-dev-orders']] }),
        allow(['sns:Publish'], TOPIC),
        // The bus topic's own name, as the local stage spells it out.
        allow(['sns:Publish'], { 'Fn::Sub': 'arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:event-bus-dev-domain-events' }),
      ]),
      Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'order-processor-dev-stock-answers' } },
    });
    own.Outputs = {
      QueueUrl: { Value: { Ref: 'Queue' }, Export: { Name: 'order-processor-dev-StockAnswersQueueUrl' } },
      Bucket: { Value: 'b', Export: { Name: 'sls-order-processor-dev-ServerlessDeploymentBucketName' } },
    };
    assert.deepEqual(check(own), []);

    // (i) a grant on items-api's table, by its export.
    assert.deepEqual(check(withStatements(allow(['dynamodb:GetItem'], { 'Fn::ImportValue': 'items-api-dev-ItemsTableArn' }))), [
      `${STATEMENT}/Fn::ImportValue: imports items-api's export "items-api-dev-ItemsTableArn", only "event-bus-dev-DomainEventsTopicArn" or "event-bus-dev-AlarmTopicArn" may be imported`,
    ]);
    // (ii) ... by its ARN, even split over Fn::Join pieces.
    const itemsTable = { 'Fn::Join': ['', ['arn:aws:dynamodb:', 'us-east-1', ':123456789012:table/', 'items-api', '-dev-items']] };
    assert.deepEqual(check(withStatements(allow(['dynamodb:GetItem'], itemsTable))), [
      `${STATEMENT}: names items-api's resource "arn:aws:dynamodb:us-east-1:123456789012:table/items-api-dev-items"`,
    ]);
    const withRegion = { 'Fn::Join': [':', ['arn:aws:dynamodb', region, '123456789012', 'table/items-api-dev-items']] };
    assert.deepEqual(check(withStatements(allow(['dynamodb:GetItem'], [withRegion]))), [
      `${STATEMENT}/0: names items-api's resource "arn:aws:dynamodb:\${AWS::Region}:123456789012:table/items-api-dev-items"`,
    ]);
    // (iii) notifier's queue subscribed (Fn::Sub, with a variable) and let in by a queue policy.
    const outcomes = 'arn:aws:sqs:us-east-1:123456789012:notifier-dev-order-outcomes';
    const poached = queuePolicy({ Resource: outcomes });
    poached.Resources.Subscription = {
      Type: 'AWS::SNS::Subscription',
      Properties: { TopicArn: TOPIC, Protocol: 'sqs', Endpoint: { 'Fn::Sub': ['arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:${Queue}', { Queue: 'notifier-dev-order-outcomes' }] } },
    };
    assert.deepEqual(check(poached), [
      `QueuePolicy: Properties/PolicyDocument/Statement/0/Resource: names notifier's resource "${outcomes}"`,
      `Subscription: Properties/Endpoint: names notifier's resource "arn:aws:sqs:\${AWS::Region}:\${AWS::AccountId}:notifier-dev-order-outcomes"`,
    ]);
    // Outputs too; a look-alike of the bus topic is not the bus topic; the bus imports nothing.
    const outputs = template({});
    outputs.Outputs = { Peer: { Value: 'order-processor-dev-x', Export: { Name: 'notifier-dev-PeerQueueUrl' } } };
    assert.deepEqual(check(outputs), [`Outputs/Peer: Export/Name: names notifier's resource "notifier-dev-PeerQueueUrl"`]);
    assert.equal(check(withStatements(allow(['sqs:SendMessage'], 'arn:aws:sqs:us-east-1:123456789012:event-bus-dev-domain-events-dlq'))).length, 1);
    assert.match(check(withStatements(allow(['sns:Publish'], TOPIC)), 'event-bus')[0], /^FnRole: .*: imports "event-bus-dev-DomainEventsTopicArn", and the event bus may import nothing$/);
  });

  it('HTTP APIs: a write without an authorizer, a non-JWT or dangling authorizer, a plain-http issuer and an unthrottled stage are flagged', () => {
    const api = (routes, { issuer = 'https://issuer.example.com/', audience = ['api'], throttle = { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 } } = {}) =>
      template({
        HttpApiAuthorizerJwt: {
          Type: 'AWS::ApiGatewayV2::Authorizer',
          Properties: { ApiId: { Ref: 'HttpApi' }, AuthorizerType: 'JWT', Name: 'jwt', IdentitySource: ['$request.header.Authorization'], JwtConfiguration: { Issuer: issuer, Audience: audience } },
        },
        HttpApiStage: { Type: 'AWS::ApiGatewayV2::Stage', Properties: { ApiId: { Ref: 'HttpApi' }, StageName: '$default', DefaultRouteSettings: { DetailedMetricsEnabled: false, ...throttle } } },
        ...Object.fromEntries(routes.map(([id, RouteKey, auth = {}]) => [id, { Type: 'AWS::ApiGatewayV2::Route', Properties: { ApiId: { Ref: 'HttpApi' }, RouteKey, ...auth } }])),
      });
    const jwt = { AuthorizationType: 'JWT', AuthorizerId: { Ref: 'HttpApiAuthorizerJwt' } };
    assert.deepEqual(httpApisAuthorizeWrites(api([['Read', 'GET /items'], ['Write', 'POST /items', { ...jwt, AuthorizationScopes: ['items:write'] }]])), []);
    assert.deepEqual(httpApisAuthorizeWrites(api([['Open', 'DELETE /items/{id}']])), ['Open: DELETE /items/{id} changes state and has no authorizer']);
    assert.match(httpApisAuthorizeWrites(api([['Iam', 'POST /x', { AuthorizationType: 'AWS_IAM' }]]))[0], /^Iam: its authorizer must be a JWT authorizer/);
    assert.match(httpApisAuthorizeWrites(api([['Dangling', 'POST /x', { AuthorizationType: 'JWT', AuthorizerId: { Ref: 'Nope' } }]]))[0], /^Dangling: its authorizer must be/);
    assert.deepEqual(httpApisAuthorizeWrites(api([['W', 'POST /x', jwt]], { issuer: 'http://issuer.example.com', audience: [] })), [
      'HttpApiAuthorizerJwt: Issuer "http://issuer.example.com" is not an https URL',
      'HttpApiAuthorizerJwt: it names no Audience',
    ]);
    assert.match(httpApisAuthorizeWrites(api([], { throttle: {} }))[0], /^HttpApiStage: DefaultRouteSettings must throttle every route/);
  });

  it('consumer queues: a queue feeding a function must be subscribed to the bus, raw, with a filter on type', () => {
    const subscribed = (properties) => {
      const t = sqsFeeding({}, 6);
      const Properties = { TopicArn: TOPIC, Protocol: 'sqs', Endpoint: { 'Fn::GetAtt': ['Queue', 'Arn'] }, RawMessageDelivery: true, FilterPolicy: { type: ['order.placed'] }, ...properties };
      if (properties !== null) t.Resources.Subscription = { Type: 'AWS::SNS::Subscription', Properties };
      return consumerQueuesSubscribeToTheBus(t, TOPIC);
    };
    assert.deepEqual(subscribed({}), []);
    assert.deepEqual(subscribed(null), ['Queue: feeds a function, but no AWS::SNS::Subscription delivers to it']);
    assert.match(subscribed({ TopicArn: { Ref: 'OtherTopic' } })[0], /^Subscription: TopicArn must be the bus/);
    assert.match(subscribed({ RawMessageDelivery: undefined })[0], /^Subscription: RawMessageDelivery must be true/);
    assert.match(subscribed({ FilterPolicy: undefined })[0], /must filter on the `type` message attribute/);
  });

  // -------------------------------------------------------------------------
  // S3 buckets: settings, notifications and grants.
  const ORIGINS = ['https://app.example.com'];
  const BUCKET_ARN = { 'Fn::GetAtt': ['Bucket', 'Arn'] };
  const BUCKET_NAME = { 'Fn::Sub': '${AWS::StackName}-images-${AWS::AccountId}-${AWS::Region}' };
  /** A bucket that keeps every rule, with its TLS-only policy, a notified queue (with its DLQ and policy) and one reader and one uploader. */
  const bucketService = () =>
    template({
      Bucket: {
        Type: 'AWS::S3::Bucket',
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        DependsOn: 'UploadsQueuePolicy',
        Properties: {
          BucketName: BUCKET_NAME,
          PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
          OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
          BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: true }] },
          CorsConfiguration: { CorsRules: [{ AllowedOrigins: [...ORIGINS], AllowedMethods: ['POST', 'GET'], AllowedHeaders: ['*'] }] },
          LifecycleConfiguration: {
            Rules: [
              { Id: 'abort', Status: 'Enabled', Prefix: '', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
              { Id: 'uploads', Status: 'Enabled', Prefix: 'uploads/', ExpirationInDays: 1 },
            ],
          },
          NotificationConfiguration: {
            QueueConfigurations: [{ Event: 's3:ObjectCreated:*', Queue: { 'Fn::GetAtt': ['Uploads', 'Arn'] }, Filter: { S3Key: { Rules: [{ Name: 'prefix', Value: 'uploads/' }] } } }],
          },
        },
      },
      BucketPolicy: {
        Type: 'AWS::S3::BucketPolicy',
        Properties: {
          Bucket: { Ref: 'Bucket' },
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [BUCKET_ARN, { 'Fn::Sub': '${Bucket.Arn}/*' }], Condition: { Bool: { 'aws:SecureTransport': 'false' } } }],
          },
        },
      },
      Uploads: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 90, RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['UploadsDlq', 'Arn'] }, maxReceiveCount: 5 } } },
      UploadsDlq: { Type: 'AWS::SQS::Queue', DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain', Properties: { MessageRetentionPeriod: 1209600 } },
      UploadsQueuePolicy: {
        Type: 'AWS::SQS::QueuePolicy',
        Properties: {
          Queues: [{ Ref: 'Uploads' }],
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Principal: { Service: 's3.amazonaws.com' },
                Action: 'sqs:SendMessage',
                Resource: { 'Fn::GetAtt': ['Uploads', 'Arn'] },
                Condition: {
                  ArnEquals: { 'aws:SourceArn': { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${AWS::StackName}-images-${AWS::AccountId}-${AWS::Region}' } },
                  StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
                },
              },
            ],
          },
        },
      },
      ReaderLambdaFunction: lambda('ReaderRole', { FunctionName: 'svc-dev-reader' }),
      ReaderRole: role([allow(['s3:GetObject'], { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${Bucket}/images/*' })]),
      UploaderLambdaFunction: lambda('UploaderRole', { FunctionName: 'svc-dev-uploader' }),
      UploaderRole: role([allow(['s3:PutObject'], { 'Fn::Join': ['', [BUCKET_ARN, '/uploads/*']] })]),
      ProcessLambdaFunction: lambda('ProcessRole', { FunctionName: 'svc-dev-process', Timeout: 15 }),
      ProcessRole: role([]),
      ProcessMapping: {
        Type: 'AWS::Lambda::EventSourceMapping',
        Properties: { EventSourceArn: { 'Fn::GetAtt': ['Uploads', 'Arn'] }, FunctionName: { 'Fn::GetAtt': ['ProcessLambdaFunction', 'Arn'] }, ScalingConfig: { MaximumConcurrency: 5 } },
      },
    });
  const settings = (change = () => {}, options = {}) => {
    const t = bucketService();
    change(t.Resources.Bucket, t);
    return bucketSettings(t, { stage: 'dev', corsOrigins: ORIGINS, ...options });
  };

  it('buckets: private, encrypted, TLS-only, retained, ACLs off, CORS GET/POST from the stage\'s origins, incomplete uploads aborted in a day', () => {
    assert.deepEqual(settings(), []);
    assert.deepEqual(settings((b) => { b.Properties.PublicAccessBlockConfiguration.RestrictPublicBuckets = false; delete b.Properties.PublicAccessBlockConfiguration.IgnorePublicAcls; }), [
      'Bucket: PublicAccessBlockConfiguration must set IgnorePublicAcls, RestrictPublicBuckets to true',
    ]);
    assert.deepEqual(settings((b) => delete b.Properties.BucketEncryption), ['Bucket: BucketEncryption must set SSE-S3 (AES256) or SSE-KMS']);
    assert.match(settings((b) => (b.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault = { SSEAlgorithm: 'aws:kms' }))[0], /aws:kms needs a KMSMasterKeyID/);
    assert.deepEqual(settings((b) => (b.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault = { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { Ref: 'Key' } })), []);
    // TLS only: no policy, a policy that covers only the objects, or an Allow instead of a Deny.
    const tls = /^Bucket: no bucket policy denies "s3:\*" on the bucket and its objects/;
    assert.match(settings((_, t) => delete t.Resources.BucketPolicy)[0], tls);
    assert.match(settings((_, t) => (t.Resources.BucketPolicy.Properties.PolicyDocument.Statement[0].Resource = [{ 'Fn::Sub': '${Bucket.Arn}/*' }]))[0], tls);
    assert.match(settings((_, t) => (t.Resources.BucketPolicy.Properties.PolicyDocument.Statement[0].Condition = { Bool: { 'aws:SecureTransport': 'true' } }))[0], tls);
    // The framework's spelling (Fn::Join of arn:<partition>:s3::: and the Ref, a boolean false) is the same policy.
    assert.deepEqual(settings((_, t) => {
      const arn = (suffix) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::', { Ref: 'Bucket' }, suffix]] });
      Object.assign(t.Resources.BucketPolicy.Properties.PolicyDocument.Statement[0], { Resource: [arn('/*'), arn('')], Condition: { Bool: { 'aws:SecureTransport': false } } });
    }), []);
    assert.deepEqual(settings((_, t) => t.Resources.BucketPolicy.Properties.PolicyDocument.Statement.push({ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: { 'Fn::Sub': '${Bucket.Arn}/images/*' } })), [
      'BucketPolicy/PolicyDocument/Statement/1: a bucket policy allows nobody everybody (Principal "*")',
    ]);
    // CORS: PUT or DELETE, HEAD too; another origin; "*" but on the local stage.
    assert.deepEqual(settings((b) => (b.Properties.CorsConfiguration.CorsRules[0].AllowedMethods = ['GET', 'POST', 'PUT', 'HEAD'])), [
      'Bucket: CorsRules/0: AllowedMethods ["GET","POST","PUT","HEAD"]: only GET and POST (a presigned POST and a presigned GET)',
    ]);
    assert.deepEqual(settings((b) => (b.Properties.CorsConfiguration.CorsRules[0].AllowedOrigins = ['https://evil.example.com'])), [
      'Bucket: CorsRules/0: AllowedOrigins ["https://evil.example.com"] must be the stage\'s CORS origins ["https://app.example.com"]',
    ]);
    assert.deepEqual(settings((b) => (b.Properties.CorsConfiguration.CorsRules[0].AllowedOrigins = ['*']), { corsOrigins: ['*'] }), ['Bucket: CorsRules/0: AllowedOrigins ["*"]: no "*" on stage "dev"']);
    assert.deepEqual(settings((b) => (b.Properties.CorsConfiguration.CorsRules[0].AllowedOrigins = ['*']), { stage: 'local', corsOrigins: ['*'] }), []);
    // Lifecycle: 2 days, a prefix only, a disabled rule.
    const lifecycle = /^Bucket: LifecycleConfiguration needs an enabled rule for the whole bucket with AbortIncompleteMultipartUpload DaysAfterInitiation <= 1$/;
    assert.match(settings((b) => (b.Properties.LifecycleConfiguration.Rules[0].AbortIncompleteMultipartUpload.DaysAfterInitiation = 2))[0], lifecycle);
    assert.match(settings((b) => (b.Properties.LifecycleConfiguration.Rules[0].Prefix = 'uploads/'))[0], lifecycle);
    assert.match(settings((b) => (b.Properties.LifecycleConfiguration.Rules[0].Status = 'Disabled'))[0], lifecycle);
    // Retained; no ACL; ACLs off.
    assert.deepEqual(settings((b) => delete b.UpdateReplacePolicy), ['Bucket: a bucket needs DeletionPolicy and UpdateReplacePolicy Retain']);
    assert.match(settings((b) => (b.Properties.AccessControl = 'PublicRead'))[0], /^Bucket: AccessControl "PublicRead": a bucket has no ACL/);
    assert.match(settings((b) => (b.Properties.OwnershipControls.Rules[0].ObjectOwnership = 'ObjectWriter'))[0], /^Bucket: OwnershipControls must be one rule ObjectOwnership "BucketOwnerEnforced"/);
    // The framework's deployment bucket is held to encryption and TLS only.
    const deployment = template({
      ServerlessDeploymentBucket: { Type: 'AWS::S3::Bucket', Properties: { BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] } } },
    });
    assert.deepEqual(bucketSettings(deployment, { stage: 'dev', corsOrigins: ORIGINS }), ['ServerlessDeploymentBucket: no bucket policy denies "s3:*" on the bucket and its objects ("<arn>" and "<arn>/*") when aws:SecureTransport is "false"']);
  });

  it('bucket notifications: to an SQS queue of the template with a DLQ, which only S3 from that bucket and account may send to; never to a function', () => {
    const notifications = (change) => {
      const t = bucketService();
      change?.(t.Resources, t);
      return bucketNotifications(t);
    };
    assert.deepEqual(notifications(), []);
    const uploadsStatement = (r) => r.UploadsQueuePolicy.Properties.PolicyDocument.Statement[0];
    assert.deepEqual(notifications((r) => delete r.Uploads.Properties.RedrivePolicy), ['Uploads: notified by Bucket, it needs a RedrivePolicy to a dead-letter queue']);
    assert.deepEqual(notifications((r) => delete r.UploadsQueuePolicy), ['Uploads: no queue policy lets Bucket (s3.amazonaws.com) send to it']);
    assert.match(notifications((r) => (uploadsStatement(r).Principal = { Service: 'sns.amazonaws.com' }))[0], /principal must be only \{"Service": "s3.amazonaws.com"\}/);
    assert.match(notifications((r) => (uploadsStatement(r).Principal = '*'))[0], /principal must be only/);
    assert.match(notifications((r) => (uploadsStatement(r).Action = ['sqs:SendMessage', 'sqs:ReceiveMessage']))[0], /must allow only sqs:SendMessage/);
    assert.match(notifications((r) => delete uploadsStatement(r).Condition.ArnEquals)[0], /Condition must be ArnEquals aws:SourceArn the ARN of Bucket/);
    assert.match(notifications((r) => (uploadsStatement(r).Condition.ArnEquals['aws:SourceArn'] = 'arn:aws:s3:::someone-elses-bucket'))[0], /Condition must be ArnEquals aws:SourceArn the ARN of Bucket/);
    assert.match(notifications((r) => delete uploadsStatement(r).Condition.StringEquals)[0], /Condition must be StringEquals aws:SourceAccount/);
    // The bucket's ARN by reference is the same bucket.
    assert.deepEqual(notifications((r) => (uploadsStatement(r).Condition.ArnEquals['aws:SourceArn'] = BUCKET_ARN)), []);
    // Straight to a function, to a topic or EventBridge, a queue elsewhere, a permission for S3 to invoke.
    assert.deepEqual(
      notifications((r) => {
        r.Bucket.Properties.NotificationConfiguration.LambdaConfigurations = [{ Event: 's3:ObjectCreated:*', Function: { 'Fn::GetAtt': ['ProcessLambdaFunction', 'Arn'] } }];
        r.Bucket.Properties.NotificationConfiguration.TopicConfigurations = [{ Event: 's3:ObjectCreated:*', Topic: { Ref: 'T' } }];
        r.Bucket.Properties.NotificationConfiguration.QueueConfigurations.push({ Event: 's3:ObjectRemoved:*', Queue: 'arn:aws:sqs:us-east-1:123456789012:elsewhere' });
        r.S3Invoke = { Type: 'AWS::Lambda::Permission', Properties: { Action: 'lambda:InvokeFunction', FunctionName: { Ref: 'ProcessLambdaFunction' }, Principal: 's3.amazonaws.com' } };
      }),
      [
        'Bucket: NotificationConfiguration/LambdaConfigurations: a bucket notifies an SQS queue with a DLQ, never a function directly',
        'Bucket: NotificationConfiguration/TopicConfigurations: a bucket notifies SQS queues only',
        'Bucket: NotificationConfiguration/QueueConfigurations/1: Queue "arn:aws:sqs:us-east-1:123456789012:elsewhere" must be an AWS::SQS::Queue of this template',
        'S3Invoke: lets S3 invoke a function directly; a bucket notifies an SQS queue with a DLQ',
      ],
    );
    // The bus's rules leave that queue to these: it is fed by the bucket, not subscribed to the bus.
    assert.deepEqual(queuePoliciesAllowOnlyTheTopic(bucketService(), TOPIC), []);
    assert.deepEqual(consumerQueuesSubscribeToTheBus(bucketService(), TOPIC), []);
  });

  const DECLARED = { reader: { Bucket: { 'images/*': ['s3:GetObject'] } }, uploader: { Bucket: { 'uploads/*': ['s3:PutObject'] } } };
  const grants = (change = () => {}, declared = DECLARED) => {
    const t = bucketService();
    change(t.Resources);
    const options = { declared, service: 'svc', stage: 'dev' };
    return [...s3GrantRules(t, options), ...declaredS3Grants(t, options)];
  };
  const statementsOf = (r, roleId) => r[roleId].Properties.Policies[0].PolicyDocument.Statement;

  it('S3 grants (platform): no wildcard action, no "*", no whole bucket\'s objects, no undeclared bucket-level action', () => {
    assert.deepEqual(grants(), []);
    const extra = (statement) => (r) => statementsOf(r, 'ReaderRole').push(statement);
    const images = { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${Bucket}/images/*' };
    assert.match(grants(extra(allow(['s3:*'], images)))[0], /^ReaderRole\/Policies\/0\/Statement\/1: Action "s3:\*": no wildcard in an S3 action/);
    assert.match(grants(extra(allow(['s3:Get*'], images)))[0], /Action "s3:Get\*": no wildcard/);
    assert.match(grants(extra(allow(['s3:GetObject'], '*')))[0], /s3:GetObject on Resource "\*": name the bucket and the prefix/);
    assert.match(grants(extra(allow(['s3:GetObject'], { 'Fn::Sub': '${Bucket.Arn}/*' })))[0], /s3:GetObject on every object of Bucket \("\*"\): grant a prefix/);
    assert.match(grants(extra(allow(['s3:GetObject'], 'arn:aws:s3:::someone-elses-bucket/images/*')))[0], /which is no bucket of this template/);
    assert.match(grants(extra(allow(['s3:ListBucket'], BUCKET_ARN)))[0], /s3:ListBucket is a bucket-level action, which reader's declared grants do not name/);
    // Declared, a bucket-level action passes the platform's rules (the declaration is then exact about it too).
    assert.deepEqual(grants(extra(allow(['s3:ListBucket'], BUCKET_ARN)), { ...DECLARED, reader: { Bucket: { 'images/*': ['s3:GetObject'], '': ['s3:ListBucket'] } } }), []);
  });

  it('S3 grants (the service\'s declaration): an extra grant, a missing one, a wider prefix or an undeclared function fail', () => {
    // An extra action on a declared prefix.
    assert.deepEqual(grants((r) => statementsOf(r, 'ReaderRole')[0].Action.push('s3:DeleteObject')), ['reader: s3:DeleteObject on Bucket "images/*" is not declared (the service\'s template-expectations.json s3Grants)']);
    // A grant on another prefix: extra there.
    assert.deepEqual(grants((r) => statementsOf(r, 'UploaderRole').push(allow(['s3:PutObject'], { 'Fn::Sub': '${Bucket.Arn}/images/*' }))), [
      'uploader: s3:PutObject on Bucket "images/*" is not declared (the service\'s template-expectations.json s3Grants)',
    ]);
    // A missing grant: declared, not in the role.
    assert.deepEqual(grants((r) => r.ReaderRole.Properties.Policies[0].PolicyDocument.Statement.splice(0, 1)), ['reader: declared s3:GetObject on Bucket "images/*", which its role does not grant']);
    // The prefix moved: one extra, one missing.
    assert.deepEqual(grants((r) => (statementsOf(r, 'UploaderRole')[0].Resource = { 'Fn::Join': ['', [BUCKET_ARN, '/staging/*']] })), [
      'uploader: s3:PutObject on Bucket "staging/*" is not declared (the service\'s template-expectations.json s3Grants)',
      'uploader: declared s3:PutObject on Bucket "uploads/*", which its role does not grant',
    ]);
    // A function the declaration leaves out may have no S3 grant; a declared function or bucket that is not there is a stale declaration.
    assert.deepEqual(grants((r) => statementsOf(r, 'ProcessRole').push(allow(['s3:GetObject'], { 'Fn::Sub': '${Bucket.Arn}/uploads/*' }))), [
      'process: s3:GetObject on Bucket "uploads/*" is not declared (the service\'s template-expectations.json s3Grants)',
    ]);
    assert.deepEqual(grants(() => {}, { ...DECLARED, gone: { Other: { 'x/*': ['s3:GetObject'] } } }), [
      'gone: declared S3 grants for a function the template does not have',
      'gone: declared S3 grants on Other, which is no AWS::S3::Bucket of the template',
      'gone: declared s3:GetObject on Other "x/*", which its role does not grant',
    ]);
    // No declaration: no S3 grant at all.
    assert.equal(grants(() => {}, {}).length, 2);
  });

  // -------------------------------------------------------------------------
  // Alarms, tracing and the platform stack. The "good" templates come from
  // infra/serverless (the alarms the observability plugin adds, the dashboard
  // body the platform stack uses); each case then takes one thing away.
  const ALARM_TOPIC = { 'Fn::ImportValue': 'event-bus-dev-AlarmTopicArn' };
  /** A service with every kind of alarm subject: an HTTP API, a consumer queue with its DLQ, a stream relay with its failure queue. */
  const watchedService = () => {
    const t = template({
      Api: { Type: 'AWS::ApiGatewayV2::Api', Properties: { Name: 'dev-svc', ProtocolType: 'HTTP' } },
      Fn: lambda('FnRole', { FunctionName: 'svc-dev-fn' }),
      FnRole: role(),
      Relay: lambda('RelayRole', { FunctionName: 'svc-dev-relay', Timeout: 30 }),
      RelayRole: role(),
      Queue: {
        Type: 'AWS::SQS::Queue',
        Properties: { QueueName: 'svc-dev-q', VisibilityTimeout: 36, MessageRetentionPeriod: 345600, RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Dlq', 'Arn'] }, maxReceiveCount: 3 } },
      },
      Dlq: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'svc-dev-q-dlq', MessageRetentionPeriod: 1209600 } },
      RelayDlq: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'svc-dev-relay-dlq', MessageRetentionPeriod: 1209600 } },
      Table: { Type: 'AWS::DynamoDB::Table', Properties: { KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] } },
      QueueMapping: {
        Type: 'AWS::Lambda::EventSourceMapping',
        Properties: { EventSourceArn: { 'Fn::GetAtt': ['Queue', 'Arn'] }, FunctionName: { 'Fn::GetAtt': ['Fn', 'Arn'] } },
      },
      StreamMapping: {
        Type: 'AWS::Lambda::EventSourceMapping',
        Properties: {
          EventSourceArn: { 'Fn::GetAtt': ['Table', 'StreamArn'] },
          FunctionName: { 'Fn::GetAtt': ['Relay', 'Arn'] },
          StartingPosition: 'TRIM_HORIZON',
          DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['RelayDlq', 'Arn'] } } },
        },
      },
    });
    Object.assign(t.Resources, alarmsFor(t, { service: 'svc', stage: 'dev', alarmTopicArn: ALARM_TOPIC }));
    return t;
  };
  /** The logical ID of the alarm named `name` in `t`. */
  const alarmNamed = (t, name) => Object.keys(t.Resources).find((id) => t.Resources[id].Properties?.AlarmName === name);

  it('alarms: a DLQ, consumer queue, function, stream-fed function or HTTP API without the right alarm is flagged', () => {
    const t = watchedService();
    assert.deepEqual(everythingHasAnAlarm(t), []);
    assert.deepEqual(alarmsNotifyTheAlarmTopic(t, ALARM_TOPIC), []);
    /** The problems once `change` has altered a fresh copy of the service. */
    const after = (change) => {
      const copy = watchedService();
      change(copy);
      return everythingHasAnAlarm(copy);
    };
    const without = (name) => after((copy) => delete copy.Resources[alarmNamed(copy, name)]);
    const props = (copy, name) => copy.Resources[alarmNamed(copy, name)].Properties;

    // Every dead-letter queue: the redrive target and the stream relay's failure queue.
    assert.deepEqual(without('svc-dev-q-dlq-not-empty'), [
      'Dlq: dead-letter queue without an alarm on AWS/SQS ApproximateNumberOfMessagesVisible (NumberOfMessagesSent does not count the messages SQS moves there)',
    ]);
    assert.match(without('svc-dev-relay-dlq-not-empty')[0], /^RelayDlq: dead-letter queue without an alarm/);
    // NumberOfMessagesSent is the wrong metric; a threshold above one message is too late; another queue's alarm does not count.
    assert.match(after((copy) => (props(copy, 'svc-dev-q-dlq-not-empty').MetricName = 'NumberOfMessagesSent'))[0], /^Dlq: dead-letter queue without an alarm/);
    assert.deepEqual(after((copy) => (props(copy, 'svc-dev-q-dlq-not-empty').Threshold = 5)), [
      'Dlq: the alarms on its ApproximateNumberOfMessagesVisible (DlqNotEmptyAlarm) must fire on a single message',
    ]);
    assert.match(after((copy) => (props(copy, 'svc-dev-q-dlq-not-empty').Dimensions[0].Value = { 'Fn::GetAtt': ['RelayDlq', 'QueueName'] }))[0], /^Dlq: dead-letter queue without/);
    // A literal queue name counts as much as a reference.
    assert.deepEqual(after((copy) => (props(copy, 'svc-dev-q-dlq-not-empty').Dimensions[0].Value = 'svc-dev-q-dlq')), []);

    // Every queue feeding a function: age of its oldest message, firing before the message expires.
    assert.deepEqual(without('svc-dev-q-oldest-message-age'), ['Queue: queue feeding a function without an alarm on AWS/SQS ApproximateAgeOfOldestMessage']);
    assert.deepEqual(after((copy) => (props(copy, 'svc-dev-q-oldest-message-age').Threshold = 345600)), [
      'Queue: its ApproximateAgeOfOldestMessage alarms (QueueOldestMessageAlarm) must fire before messages expire (345600 s)',
    ]);

    // Every function: errors and throttles; every stream-fed function: iterator age; every HTTP API: 5xx.
    assert.deepEqual(without('svc-dev-fn-errors'), ['Fn: function without an alarm on AWS/Lambda Errors']);
    assert.deepEqual(without('svc-dev-relay-throttles'), ['Relay: function without an alarm on AWS/Lambda Throttles']);
    assert.deepEqual(without('svc-dev-relay-iterator-age'), ['Relay: stream-fed function without an alarm on AWS/Lambda IteratorAge']);
    assert.deepEqual(without('svc-dev-api-5xx-rate'), ['Api: HTTP API without an alarm on AWS/ApiGateway 5xx']);
  });

  it('alarms: the plugin derives thresholds from the template and notifies the spelled-out topic on the local stage', () => {
    const t = watchedService();
    const props = (name) => t.Resources[alarmNamed(t, name)].Properties;
    // 1.5 x VisibilityTimeout 36 s x maxReceiveCount 3, for 15 of 15 minutes.
    assert.deepEqual(
      pick(props('svc-dev-q-oldest-message-age'), ['MetricName', 'Statistic', 'Threshold', 'ComparisonOperator', 'EvaluationPeriods', 'DatapointsToAlarm', 'TreatMissingData']),
      { MetricName: 'ApproximateAgeOfOldestMessage', Statistic: 'Maximum', Threshold: 162, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 15, DatapointsToAlarm: 15, TreatMissingData: 'notBreaching' },
    );
    // A dead letter stays in ALARM while SQS publishes nothing for an untouched queue.
    assert.deepEqual(pick(props('svc-dev-q-dlq-not-empty'), ['Statistic', 'Threshold', 'ComparisonOperator', 'EvaluationPeriods', 'TreatMissingData']), {
      Statistic: 'Maximum', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 1, TreatMissingData: 'ignore',
    });
    assert.equal(props('svc-dev-api-5xx-rate').Metrics.find((m) => m.ReturnData).Expression, 'IF(requests > 0, errors / requests, 0)');
    assert.equal(t.Resources.ServiceHealthAlarm.Properties.AlarmName, 'svc-dev-health');
    assert.deepEqual(t.Resources.ServiceHealthAlarm.DependsOn.sort(), Object.keys(t.Resources).filter((id) => t.Resources[id].Type === 'AWS::CloudWatch::Alarm').sort());

    const local = alarmsFor(watchedService(), { service: 'svc', stage: 'local', alarmTopicArn: alarmTopicArnFor({ stage: 'local', region: 'eu-west-1', localAccountId: '000000000000' }) });
    assert.deepEqual(Object.values(local).filter((a) => a.Type === 'AWS::CloudWatch::Alarm').map((a) => a.Properties.AlarmActions)[0], ['arn:aws:sns:eu-west-1:000000000000:event-bus-local-alarms']);
    assert.deepEqual(alarmTopicArnFor({ stage: 'dev', region: 'eu-west-1' }), ALARM_TOPIC);
    // Nothing to watch, no alarm and no health alarm.
    assert.deepEqual(alarmsFor(template({ Topic: { Type: 'AWS::SNS::Topic', Properties: {} } }), { service: 'x', stage: 'dev', alarmTopicArn: ALARM_TOPIC }), {});
  });

  it('alarm actions and health: an alarm that does not notify the alarm topic, or that the health alarm leaves out, is flagged', () => {
    const t = watchedService();
    const id = alarmNamed(t, 'svc-dev-fn-errors');
    t.Resources[id].Properties.OKActions = [];
    t.Resources[alarmNamed(t, 'svc-dev-fn-throttles')].Properties.ActionsEnabled = false;
    t.Resources[alarmNamed(t, 'svc-dev-q-dlq-not-empty')].Properties.AlarmActions = [{ 'Fn::ImportValue': 'event-bus-dev-DomainEventsTopicArn' }];
    assert.deepEqual(alarmsNotifyTheAlarmTopic(t, ALARM_TOPIC).sort(), [
      'DlqNotEmptyAlarm: AlarmActions must include the alarm topic {"Fn::ImportValue":"event-bus-dev-AlarmTopicArn"}, is [{"Fn::ImportValue":"event-bus-dev-DomainEventsTopicArn"}]',
      `${id}: OKActions must include the alarm topic {"Fn::ImportValue":"event-bus-dev-AlarmTopicArn"}, is []`,
      'FnThrottlesAlarm: ActionsEnabled is false',
    ]);

    assert.deepEqual(healthAlarm(watchedService(), { service: 'svc', stage: 'dev' }), []);
    const lessRule = watchedService();
    lessRule.Resources.ServiceHealthAlarm.Properties.AlarmRule = 'ALARM("svc-dev-fn-errors")';
    assert.equal(healthAlarm(lessRule, { service: 'svc', stage: 'dev' }).length, Object.keys(lessRule.Resources).filter((r) => lessRule.Resources[r].Type === 'AWS::CloudWatch::Alarm').length - 1);
    const none = watchedService();
    delete none.Resources.ServiceHealthAlarm;
    assert.deepEqual(healthAlarm(none, { service: 'svc', stage: 'dev' }), ['template: no AWS::CloudWatch::CompositeAlarm named "svc-dev-health" for the dashboard']);
  });

  it('tracing: a function or topic that is not actively traced, or a traced role without X-Ray, is flagged', () => {
    const xray = allow(['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], ['*']);
    const traced = () =>
      template({
        Fn: lambda('FnRole', { TracingConfig: { Mode: 'Active' } }),
        FnRole: role([xray]),
        Topic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 't', TracingConfig: 'Active' } },
      });
    assert.deepEqual(activeTracing(traced()), []);
    const passThrough = traced();
    passThrough.Resources.Fn.Properties.TracingConfig.Mode = 'PassThrough';
    delete passThrough.Resources.Topic.Properties.TracingConfig;
    assert.deepEqual(activeTracing(passThrough), ['Fn: TracingConfig.Mode must be "Active", is "PassThrough"', 'Topic: TracingConfig must be "Active", is undefined']);
    const noXray = traced();
    noXray.Resources.FnRole = role();
    assert.deepEqual(activeTracing(noXray), ['Fn: its role FnRole does not allow xray:PutTraceSegments', 'Fn: its role FnRole does not allow xray:PutTelemetryRecords']);
  });

  it('platform stack: the alarm topic, its export, who may publish, its key, the email subscription, the SNS tracing policy and the dashboard are checked', () => {
    // The platform's dashboard lists no service (it finds them by search): the rule is asked for none.
    const services = [];
    const platform = () => {
      const t = template({
        Key: {
          Type: 'AWS::KMS::Key',
          Properties: {
            KeyPolicy: {
              Version: '2012-10-17',
              Statement: [{ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: '*' }],
            },
          },
        },
        Alarms: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 'event-bus-dev-alarms', KmsMasterKeyId: { Ref: 'Key' } } },
        AlarmsPolicy: {
          Type: 'AWS::SNS::TopicPolicy',
          Properties: {
            Topics: [{ Ref: 'Alarms' }],
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                { Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Resource: { Ref: 'Alarms' }, Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } },
              ],
            },
          },
        },
        Email: { Type: 'AWS::SNS::Subscription', Condition: 'HasEmail', Properties: { TopicArn: { Ref: 'Alarms' }, Protocol: 'email', Endpoint: 'ops@example.com' } },
        Tracing: {
          Type: 'AWS::XRay::ResourcePolicy',
          Properties: {
            PolicyName: 'p',
            PolicyDocument: { 'Fn::Sub': '{"Statement": [{"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": ["xray:PutTraceSegments"], "Resource": "*", "Condition": {"StringEquals": {"aws:SourceAccount": "${AWS::AccountId}"}}}]}' },
          },
        },
        Dashboard: { Type: 'AWS::CloudWatch::Dashboard', Properties: { DashboardName: 'event-bus-dev', DashboardBody: dashboardBody({ stage: 'dev' }) } },
      });
      t.Conditions = { HasEmail: { 'Fn::Not': [{ 'Fn::Equals': ['ops@example.com', ''] }] } };
      t.Outputs = { AlarmTopicArn: { Value: { Ref: 'Alarms' }, Export: { Name: 'event-bus-dev-AlarmTopicArn' } } };
      return t;
    };
    const check = (change = () => {}) => {
      const t = platform();
      change(t);
      return platformOperability(t, { stage: 'dev', services });
    };
    assert.deepEqual(check(), []);
    // The dashboard body is JSON once CloudFormation has substituted its ${…}. It names no
    // service: the health alarms by a link to the alarm list searched for "-dev-health", the
    // per-service graphs by search expressions over the namespace and the `service` dimension.
    const text = dashboardBody({ stage: 'dev' })['Fn::Sub'];
    const body = JSON.parse(text.replace(/\$\{[^}]*\}/g, 'x'));
    assert.doesNotMatch(text, /items-api|order-processor|notifier/);
    assert.equal(body.widgets.filter((w) => w.type === 'alarm').length, 0);
    assert.match(body.widgets.find((w) => w.type === 'text' && /Service health/.test(w.properties.markdown)).properties.markdown, /#alarmsV2:\?~\(search~'-dev-health\)/);
    const expressions = body.widgets.flatMap((w) => w.properties.metrics ?? []).map(([metric]) => metric.expression);
    assert.ok(expressions.includes(`SEARCH('{Platform/dev,service} MetricName="RecordsFailed"', 'Sum', 300)`), expressions.join('\n'));
    assert.ok(expressions.every((expression) => expression.startsWith('SEARCH(')), expressions.join('\n'));

    assert.deepEqual(check((t) => delete t.Resources.Alarms), ['template: no AWS::SNS::Topic named "event-bus-dev-alarms"']);
    assert.deepEqual(check((t) => (t.Outputs.AlarmTopicArn.Export.Name = 'event-bus-dev-Alarms')), ['Outputs: no export "event-bus-dev-AlarmTopicArn" of {"Ref": "Alarms"}']);
    assert.deepEqual(check((t) => (t.Resources.AlarmsPolicy.Properties.PolicyDocument.Statement[0].Principal.Service = 'events.amazonaws.com')), ['Alarms: no topic policy lets cloudwatch.amazonaws.com sns:Publish']);
    assert.deepEqual(check((t) => delete t.Resources.AlarmsPolicy.Properties.PolicyDocument.Statement[0].Condition), ['Alarms: CloudWatch may publish only on condition aws:SourceAccount']);
    assert.match(check((t) => (t.Resources.Alarms.Properties.KmsMasterKeyId = 'alias/aws/sns'))[0], /^Alarms: KmsMasterKeyId "alias\/aws\/sns" must be a key of this template whose policy lets cloudwatch/);
    assert.deepEqual(check((t) => delete t.Resources.Email.Condition), ['Email: the email subscription must have a Condition (none when the stage has no address)']);
    assert.deepEqual(check((t) => delete t.Resources.Tracing), ['template: no AWS::XRay::ResourcePolicy lets sns.amazonaws.com xray:PutTraceSegments (active tracing on topics)']);
    assert.deepEqual(check((t) => delete t.Resources.Dashboard), ['template: no AWS::CloudWatch::Dashboard named "event-bus-dev"']);
    // The rule still fails a dashboard that leaves out a health alarm it is asked for.
    assert.deepEqual(
      platformOperability(platform(), { stage: 'dev', services: ['notifier'] }),
      [`Dashboard: its body does not list notifier's health alarm "notifier-dev-health"`],
    );
  });

  it('own resources only: the alarm topic may be imported, and a dashboard may show another service\'s alarm', () => {
    const services = ['event-bus', 'items-api', 'notifier', 'order-processor'];
    const alarm = template({ A: { Type: 'AWS::CloudWatch::Alarm', Properties: { AlarmActions: [ALARM_TOPIC], OKActions: ['arn:aws:sns:us-east-1:000000000000:event-bus-dev-alarms'] } } });
    assert.deepEqual(ownResourcesOnly(alarm, { service: 'notifier', stage: 'dev', services }), []);
    // A dashboard that shows items-api's health alarm in an alarm widget (ours links to the alarms by name instead).
    const alarmWidget = { widgets: [{ type: 'alarm', x: 0, y: 0, width: 24, height: 3, properties: { alarms: ['arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:items-api-dev-health'] } }] };
    const board = (Type) => template({ Board: { Type, Properties: { DashboardBody: { 'Fn::Sub': JSON.stringify(alarmWidget) } } } });
    assert.deepEqual(ownResourcesOnly(board('AWS::CloudWatch::Dashboard'), { service: 'event-bus', stage: 'dev', services }), []);
    // The same name anywhere else is another service's resource; the bus still imports nothing.
    assert.match(ownResourcesOnly(board('AWS::SSM::Parameter'), { service: 'event-bus', stage: 'dev', services })[0], /^Board: Properties\/DashboardBody: names items-api's resource/);
    assert.match(ownResourcesOnly(alarm, { service: 'event-bus', stage: 'dev', services })[0], /imports "event-bus-dev-AlarmTopicArn", and the event bus may import nothing$/);
  });

  it('data protection: an unretained table, DLQ or secret, a table without PITR, a plain topic, a stage without access logs and a plaintext secret are flagged', () => {
    const retained = { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' };
    const pitr = { PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } };
    const good = template({
      Table: { Type: 'AWS::DynamoDB::Table', ...retained, Properties: pitr },
      Queue: { Type: 'AWS::SQS::Queue', Properties: { RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Dlq', 'Arn'] }, maxReceiveCount: 5 } } },
      Dlq: { Type: 'AWS::SQS::Queue', ...retained, Properties: {} },
      Secret: { Type: 'AWS::SecretsManager::Secret', ...retained, Properties: {} },
      Topic: { Type: 'AWS::SNS::Topic', Properties: { KmsMasterKeyId: 'alias/aws/sns' } },
      Stage: { Type: 'AWS::ApiGatewayV2::Stage', Properties: { AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': ['Logs', 'Arn'] }, Format: '{}' } } },
      Fn: { Type: 'AWS::Lambda::Function', Properties: { Environment: { Variables: { CURSOR_SECRET_ARN: 'arn', TABLE_NAME: 't' } } } },
    });
    assert.deepEqual(dataProtection(good), []);
    const bad = structuredClone(good);
    delete bad.Resources.Table.DeletionPolicy;
    bad.Resources.Table.Properties = {};
    delete bad.Resources.Dlq.UpdateReplacePolicy;
    delete bad.Resources.Secret.DeletionPolicy;
    delete bad.Resources.Topic.Properties.KmsMasterKeyId;
    delete bad.Resources.Stage.Properties.AccessLogSettings;
    bad.Resources.Fn.Properties.Environment.Variables = { CURSOR_SECRET: 'plain', LOCAL_FAULT_CONSUMER_THROW_EVERY: '7' };
    assert.deepEqual(
      dataProtection(bad).map((problem) => problem.split(':')[0] + ': ' + problem.split(' ').slice(1, 4).join(' ')),
      ['Table: a table needs', 'Table: a table needs', 'Dlq: a dead-letter queue', 'Secret: a secret needs', 'Topic: a topic needs', 'Stage: an HTTP API', 'Fn: environment variable CURSOR_SECRET', 'Fn: environment variable LOCAL_FAULT_CONSUMER_THROW_EVERY'],
    );
  });

  it('bus publishers: a bus without encryption or without a Deny for all but the producers\u2019 roles is flagged', () => {
    const deny = (roles) => ({
      Type: 'AWS::SNS::TopicPolicy',
      Properties: {
        Topics: [{ Ref: 'Bus' }],
        PolicyDocument: { Statement: [{ Effect: 'Deny', Principal: '*', Action: 'sns:Publish', Resource: { Ref: 'Bus' }, Condition: { ArnNotLike: { 'aws:PrincipalArn': roles.map((r) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/${r}-dev-*` })) } } }] },
      },
    });
    const bus = (policy, { encrypted = true } = {}) =>
      template({ Bus: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 'event-bus-dev-domain-events', ...(encrypted && { KmsMasterKeyId: 'alias/aws/sns' }) } }, ...(policy && { Policy: policy }) });
    assert.deepEqual(busPublishersOnly(bus(deny(['items-api', 'order-processor'])), { stage: 'dev', producers: ['order-processor', 'items-api'] }), []);
    assert.match(busPublishersOnly(bus(undefined), { stage: 'dev', producers: ['items-api'] })[0], /no topic policy denies sns:Publish/);
    assert.match(busPublishersOnly(bus(deny(['items-api', 'notifier'])), { stage: 'dev', producers: ['items-api'] })[0], /publishers .*notifier/);
    assert.match(busPublishersOnly(bus(deny(['items-api']), { encrypted: false }), { stage: 'dev', producers: ['items-api'] })[0], /KmsMasterKeyId/);
  });

  it('local stage: conditions known at package time are applied as CloudFormation would (the local stack cannot)', () => {
    const t = template({
      Topic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 't', KmsMasterKeyId: { Ref: 'AWS::NoValue' }, DisplayName: { 'Fn::If': ['HasEmail', 'yes', 'no'] } } },
      Email: { Type: 'AWS::SNS::Subscription', Condition: 'HasEmail', Properties: { TopicArn: { Ref: 'Topic' }, Protocol: 'email', Endpoint: '' } },
      Later: { Type: 'AWS::SNS::Subscription', Condition: 'AtDeploy', Properties: { TopicArn: { Ref: 'Topic' }, Protocol: 'sqs', Endpoint: 'x' } },
    });
    t.Conditions = { HasEmail: { 'Fn::Not': [{ 'Fn::Equals': ['', ''] }] }, AtDeploy: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] } };
    t.Outputs = { Email: { Condition: 'HasEmail', Value: { Ref: 'Email' } } };
    assert.deepEqual(resolveKnownConditions(t), ['Resources/Email', 'Outputs/Email']);
    assert.deepEqual(t.Resources.Topic.Properties, { TopicName: 't', DisplayName: 'no' });
    assert.equal(t.Resources.Later.Condition, 'AtDeploy');
    // A parameter takes its default, as CloudFormation does when a deploy passes no value (event-bus's AlarmEmail).
    const withParameter = (email) => {
      const p = template({ Email: { Type: 'AWS::SNS::Subscription', Condition: 'HasEmail', Properties: { TopicArn: 'arn:aws:sns:us-east-1:000000000000:t', Protocol: 'email', Endpoint: { Ref: 'AlarmEmail' } } } });
      p.Parameters = { AlarmEmail: { Type: 'String', Default: email } };
      p.Conditions = { HasEmail: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'AlarmEmail' }, ''] }] } };
      return { dropped: resolveKnownConditions(p), resources: p.Resources };
    };
    assert.deepEqual(withParameter('').dropped, ['Resources/Email']);
    assert.deepEqual(withParameter('ops@example.com').resources.Email.Properties.Endpoint, 'ops@example.com');
  });
});

// ---------------------------------------------------------------------------
describe('packaged services keep the deployment rules', () => {
  const packaged = {}; // service -> { dir, template, state, templateFiles: [paths], zips: { name: bytes } }
  // cfn-lint's findings on every service's templates, or why it could not run
  // (e.g. not installed): one run for all, right after the compile.
  let linted = { findings: [] };

  before(
    async () => {
      const env = {
        ...process.env,
        STAGE,
        ...JWT_PARAMS,
        AWS_ACCESS_KEY_ID: 'dummy',
        AWS_SECRET_ACCESS_KEY: 'dummy',
        NX_DAEMON: 'false',
        NX_NO_CLOUD: 'true',
        NX_TUI: 'false',
      };
      // Each into a folder of its own (`--package`, as `serverless deploy --package` takes it),
      // not services/<svc>/.serverless: osls empties that at the start of every packaging, the
      // local stack's compiles included, so what this reads could vanish under it.
      const out = mkdtempSync(path.join(os.tmpdir(), 'template-policy-'));
      const packagings = SERVICES.map(
        (service) =>
          new Promise((resolve, reject) => {
            const dir = path.join(out, service);
            execFile(process.execPath, [SERVERLESS_BIN, 'package', '--stage', STAGE, '--package', dir], { cwd: path.join(ROOT, 'services', service), env, timeout: 5 * 60_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
              error ? reject(new Error(`serverless package --stage ${STAGE} in ${service} failed (${error.message}):\n${stdout}\n${stderr}`)) : resolve(dir),
            );
          }),
      );
      const dirs = await Promise.all(packagings);
      SERVICES.forEach((service, index) => {
        const dir = /** @type {string} */ (dirs[index]);
        const zips = {};
        for (const file of readdirSync(dir).filter((name) => name.endsWith('.zip'))) zips[file] = statSync(path.join(dir, file)).size;
        const template = JSON.parse(readFileSync(path.join(dir, 'cloudformation-template-update-stack.json'), 'utf8'));
        const templateFiles = readdirSync(dir).filter((name) => /^cloudformation-template-.*\.json$/.test(name)).map((name) => path.join(dir, name));
        const state = JSON.parse(readFileSync(path.join(dir, 'serverless-state.json'), 'utf8'));
        packaged[service] = { dir, template, state, templateFiles, zips };
      });
      try {
        linted = { findings: cfnLint(SERVICES.flatMap((service) => packaged[service].templateFiles)) };
      } catch (error) {
        linted = { error };
      }
    },
    { timeout: 5 * 60_000 },
  );

  it('finds the services, the event bus among them, each named as its directory', () => {
    assert.ok(SERVICES.includes(EVENT_BUS_SERVICE) && SERVICES.length > 1, `services found: ${SERVICES.join(', ')}`);
    assert.deepEqual(SERVICES.map(serviceNameOf), SERVICES);
  });

  for (const service of SERVICES) {
    describe(service, () => {
      it('cfn-lint: CloudFormation would accept its templates (../.cfnlintrc.yaml lists the findings we accept)', () => {
        if (linted.error) throw linted.error;
        const files = packaged[service].templateFiles;
        assert.ok(files.some((file) => file.endsWith('update-stack.json')), `${service}: no update-stack template`);
        const findings = linted.findings.filter((finding) => files.includes(path.resolve(finding.file)));
        assertNone(findings.map(formatFinding), service, 'cfn-lint');
      });
      const rules = {
        'one IAM role per function, no unused role': oneRolePerFunction,
        'no wildcard actions, Resource "*" only for logs/xray': noWildcards,
        'every policy statement has an Effect, an Action and (but in a trust policy) a Resource': wellFormedStatements,
        'SQS event source VisibilityTimeout >= 6 x function Timeout': sqsVisibilityTimeout,
        'DLQs keep 14 days, RedrivePolicy maxReceiveCount 5': deadLetterQueues,
        'every SQS event source has ScalingConfig.MaximumConcurrency': sqsMaximumConcurrency,
        'queue policies admit only SNS from the domain-events topic (or S3 from the bucket that notifies them)': (t) => queuePoliciesAllowOnlyTheTopic(t, BUS_TOPIC_ARN),
        'names only its own resources, and the platform\'s topics only by their exports': (t) => ownResourcesOnly(t, { service, stage: STAGE, services: SERVICES }),
        'consumer queues subscribe to the bus, raw, filtered on type (but those a bucket notifies)': (t) => consumerQueuesSubscribeToTheBus(t, BUS_TOPIC_ARN),
        'Lambda runtime nodejs22.x or newer': nodeRuntimes,
        'HTTP routes that change state need a JWT authorizer; every stage is throttled': httpApisAuthorizeWrites,
        'every DLQ, consumer queue, function, stream consumer and HTTP API has its alarm': everythingHasAnAlarm,
        'every alarm notifies the alarm topic when it fires and when it clears': (t) => alarmsNotifyTheAlarmTopic(t, ALARM_TOPIC_ARN),
        'one health alarm covers every alarm of the service': (t) => healthAlarm(t, { service, stage: STAGE }),
        'functions and topics are actively traced, and traced functions may write to X-Ray': activeTracing,
        'tables, DLQs and secrets retained; topics encrypted; API access logs; no plaintext secret or local setting in a function': dataProtection,
        'every name within AWS\'s limit (IAM roles and functions 64, buckets 63, queues 80, tables, alarms, log groups, secrets, exports, the stack)': (t) =>
          namesWithinLimits(t, { stackName: `${service}-${STAGE}`, region: 'us-east-1' }),
        'buckets private, encrypted, TLS-only, retained, ACLs off, CORS GET/POST from the stage\'s origins, multipart uploads aborted in a day': (t) =>
          bucketSettings(t, { stage: STAGE, corsOrigins: corsOriginsOf(packaged[service].state) }),
        'bucket notifications go to SQS queues with a DLQ that only S3 from that bucket may send to': bucketNotifications,
        'S3 grants: no wildcard action or resource, no whole bucket, no undeclared bucket-level action': (t) => s3GrantRules(t, { declared: expectationsOf(service).s3Grants, service, stage: STAGE }),
        'S3 grants: exactly what the service declares (template-expectations.json s3Grants)': (t) => declaredS3Grants(t, { declared: expectationsOf(service).s3Grants ?? {}, service, stage: STAGE }),
      };
      for (const [rule, check] of Object.entries(rules)) {
        it(rule, () => assertNone(check(packaged[service].template), service, rule));
      }
      it('has a zip for every function', () => {
        const missing = functionZips(packaged[service].template)
          .filter(({ zip }) => !(zip in packaged[service].zips))
          .map(({ id, zip }) => `${id}: no ${zip} in the package of ${service}`);
        assertNone(missing, service, 'every function has its zip');
      });
    });
  }

  it('the event bus holds the alarm topic and its export, the SNS tracing policy and a dashboard that needs nothing from the services', () => {
    const others = SERVICES.filter((service) => service !== EVENT_BUS_SERVICE);
    // Every service has alarms and the health alarm the dashboard links to by name ("-<stage>-health")...
    for (const service of others) {
      const alarms = Object.values(packaged[service].template.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
      assert.ok(alarms.length > 0, `${service} has no alarm`);
      assert.equal(packaged[service].template.Resources.ServiceHealthAlarm?.Properties.AlarmName, `${service}-${STAGE}-health`);
    }
    // ...and the bus's template names none of them, so no service's change (nor a new service) changes it.
    const dashboard = Object.values(packaged[EVENT_BUS_SERVICE].template.Resources).find((r) => r.Type === 'AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    assert.match(body, new RegExp(`-${STAGE}-health`));
    for (const service of others) assert.ok(!body.includes(service), `the dashboard names ${service}`);
    assertNone(platformOperability(packaged[EVENT_BUS_SERVICE].template, { stage: STAGE, services: [] }), EVENT_BUS_SERVICE, 'platform operability');
  });

  it('lets only the producers that libs/events names publish to the bus, which is encrypted', () => {
    const contracts = readFileSync(path.join(ROOT, 'libs/events/src/contracts.ts'), 'utf8');
    const block = contracts.slice(contracts.indexOf('export const EVENT_PRODUCERS'), contracts.indexOf('} as const', contracts.indexOf('export const EVENT_PRODUCERS')));
    const producers = [...new Set([...block.matchAll(/'[a-z]+\.[a-z]+': '([a-z-]+)'/g)].map((m) => m[1]))].sort();
    assert.ok(producers.length > 0, 'no producers found in EVENT_PRODUCERS');
    assert.deepEqual([...EVENT_PRODUCER_SERVICES].sort(), producers);
    assertNone(busPublishersOnly(packaged[EVENT_BUS_SERVICE].template, { stage: STAGE, producers }), EVENT_BUS_SERVICE, 'bus publishers');
  });

  it('keeps notification records (customer emails) only as long as the TTL says', () => {
    const [table] = Object.values(packaged.notifier.template.Resources).filter((r) => r.Type === 'AWS::DynamoDB::Table');
    assert.deepEqual(table.Properties.TimeToLiveSpecification, { AttributeName: 'expiresAt', Enabled: true });
  });

  it('sweeps order-processor\'s PENDING orders every 5 minutes, with Query on the pending index only, and alarms on any stuck', () => {
    const resources = packaged['order-processor'].template.Resources;
    const fn = resources.FindStuckOrdersLambdaFunction;
    assert.equal(fn?.Properties.Handler, 'src/handlers/find-stuck-orders.handler');
    const rules = Object.values(resources).filter((r) => r.Type === 'AWS::Events::Rule' && r.Properties.Targets.some((t) => t.Arn['Fn::GetAtt']?.[0] === 'FindStuckOrdersLambdaFunction'));
    assert.deepEqual(rules.map((r) => [r.Properties.ScheduleExpression, r.Properties.State]), [['rate(5 minutes)', 'ENABLED']]);
    const table = resources.OrdersTable.Properties;
    assert.deepEqual(table.GlobalSecondaryIndexes.map((i) => [i.IndexName, i.KeySchema.map((k) => k.AttributeName)]), [['pending', ['pendingShard', 'createdAt']]]);
    const grants = resources[fn.Properties.Role['Fn::GetAtt'][0]].Properties.Policies[0].PolicyDocument.Statement.filter((s) => s.Action.some((a) => a.startsWith('dynamodb:')));
    assert.deepEqual(grants, [{ Effect: 'Allow', Action: ['dynamodb:Query'], Resource: { 'Fn::Join': ['/', [{ 'Fn::GetAtt': ['OrdersTable', 'Arn'] }, 'index', 'pending']] } }]);
    const alarm = resources.OrdersStuckPendingAlarm?.Properties;
    assert.deepEqual(pick(alarm ?? {}, ['Namespace', 'MetricName', 'Dimensions', 'Statistic', 'Threshold', 'ComparisonOperator']), {
      Namespace: `Platform/${STAGE}`,
      MetricName: 'OrdersStuckPending',
      Dimensions: [{ Name: 'service', Value: 'order-processor' }],
      Statistic: 'Maximum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    assert.deepEqual(alarm.AlarmActions, [ALARM_TOPIC_ARN]);
    assert.match(resources.ServiceHealthAlarm.Properties.AlarmRule, /ALARM\("order-processor-dev-orders-stuck-pending"\)/);
  });

  it('refuses `serverless deploy --stage local` before it looks for credentials', () => {
    const env = { ...process.env, ...JWT_PARAMS };
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_PROFILE']) delete env[name];
    const run = spawnSync(path.join(ROOT, 'node_modules/.bin/serverless'), ['deploy', '--stage', 'local'], { cwd: path.join(SERVICES_DIR, 'notifier'), env, encoding: 'utf8', timeout: 120_000 });
    assert.notEqual(run.status, 0);
    assert.match(`${run.stdout}${run.stderr}`, /"local" stage is for the emulators only .* refused/);
  });

  it('gives each route exactly the access the design names, with the stage params’ issuer and audience', () => {
    const actual = Object.fromEntries(SERVICES.map((service) => [service, routeAccess(packaged[service].template)]).filter(([, routes]) => Object.keys(routes).length > 0));
    assert.deepEqual(actual, EXPECTED_ACCESS);
    for (const service of Object.keys(EXPECTED_ACCESS)) {
      const [authorizer] = Object.values(packaged[service].template.Resources).filter((r) => r.Type === 'AWS::ApiGatewayV2::Authorizer');
      assert.deepEqual(authorizer.Properties.JwtConfiguration, { Issuer: JWT_PARAMS.JWT_ISSUER_URL, Audience: [JWT_PARAMS.JWT_AUDIENCE] });
      assert.deepEqual(authorizer.Properties.IdentitySource, ['$request.header.Authorization']);
    }
  });

  it('names each function\'s role <service>-<stage>-<function>-<region> (docs/deploying.md), as lib/names.cjs does', () => {
    for (const service of SERVICES) {
      const { Resources } = packaged[service].template;
      for (const [id, fn] of Object.entries(Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function')) {
        const functionName = fn.Properties.FunctionName.slice(`${service}-${STAGE}-`.length);
        const role = Resources[fn.Properties.Role['Fn::GetAtt'][0]];
        assert.equal(role.Properties.RoleName, functionRoleName({ service, stage: STAGE, functionName, region: 'us-east-1' }), `${service}: ${id}`);
        assert.equal(role.Properties.RoleName, `${service}-${STAGE}-${functionName}-us-east-1`);
      }
    }
  });

  it(`allows each service the stage length MAX_STAGE_LENGTH_BY_SERVICE says (the smallest, ${MAX_STAGE_LENGTH}, for all), from its compiled names and from its configuration alike; ${LONGEST_PR_STAGE} fits`, () => {
    const found = {};
    for (const service of SERVICES) {
      const { length, decidedBy } = longestStageOf(packaged[service].template, { service, stage: STAGE, region: 'us-east-1' });
      const { functions, resources } = packaged[service].state.service;
      const before = longestStage(configNames({ service, stage: STAGE, region: 'us-east-1', functions, resources }), STAGE);
      // The check before compiling (plugins/name-limits.js) sees the names that decide: nothing compiled in later is tighter.
      assert.equal(before.length, length, `${service}: ${before.decidedBy?.where} before compiling, ${decidedBy?.where} compiled`);
      assert.ok(length >= LONGEST_PR_STAGE.length, `${service}: ${LONGEST_PR_STAGE} does not fit (${decidedBy?.where} "${decidedBy?.name}")`);
      found[service] = length;
      console.log(`${service}: a stage may be at most ${length} characters, decided by ${decidedBy?.what} ${decidedBy?.where} "${decidedBy?.name}" (limit ${decidedBy?.limit})`);
    }
    assert.deepEqual(found, MAX_STAGE_LENGTH_BY_SERVICE, 'update MAX_STAGE_LENGTH_BY_SERVICE in infra/serverless/lib/stage-names.cjs to what the services\' names now allow');
  });

  it('works out the longest stage in the region being packaged: a name that carries the region (a bucket\'s) leaves less room in a region with a longer code', () => {
    // Region codes of 9 (the shortest), 12 and 14 characters (the longest).
    for (const region of ['us-east-1', 'eu-central-1', 'ap-southeast-2']) {
      const found = Object.fromEntries(
        SERVICES.map((service) => [service, longestStage(templateNames(packaged[service].template, { stackName: `${service}-${STAGE}`, region }), STAGE).length]),
      );
      assert.deepEqual(found, maxStageLengthsIn(region), `${region}: update REGIONAL_NAMES_BY_SERVICE in infra/serverless/lib/stage-names.cjs to the names that carry the region`);
      for (const [service, length] of Object.entries(found)) assert.ok(length >= LONGEST_PR_STAGE.length, `${service}: ${LONGEST_PR_STAGE} does not fit in ${region}`);
    }
  });

  it(`refuses \`serverless package\` with a stage too long for some service, before compiling, saying how long a stage may be for each`, () => {
    const stage = `pr-1-${'x'.repeat(MAX_STAGE_LENGTH - 4)}`;
    const out = path.join(os.tmpdir(), `too-long-stage-${process.pid}`);
    const env = { ...process.env, ...JWT_PARAMS, AWS_ACCESS_KEY_ID: 'dummy', AWS_SECRET_ACCESS_KEY: 'dummy' };
    const run = spawnSync('npm', ['exec', '--', 'serverless', 'package', '--stage', stage, '--package', out], { cwd: path.join(SERVICES_DIR, 'notifier'), env, encoding: 'utf8', timeout: 120_000 });
    const output = `${run.stdout}${run.stderr}`;
    assert.notEqual(run.status, 0, output);
    assert.match(output, new RegExp(`Stage "${stage}" is ${stage.length} characters; a stage may be at most ${MAX_STAGE_LENGTH}`));
    for (const [service, length] of Object.entries(MAX_STAGE_LENGTH_BY_SERVICE)) assert.match(output, new RegExp(`${service}: at most ${length} characters`));
    // Refused before compiling: nothing was written.
    assert.equal(existsSync(out), false, `${out} was written`);
  });

  it('refuses to package an API whose stage has no issuer or audience', () => {
    const env = { ...process.env, AWS_ACCESS_KEY_ID: 'dummy', AWS_SECRET_ACCESS_KEY: 'dummy' };
    for (const name of Object.keys(JWT_PARAMS)) delete env[name];
    const run = spawnSync(path.join(ROOT, 'node_modules/.bin/serverless'), ['package', '--stage', 'unset-params', '--package', path.join(os.tmpdir(), `unset-params-${process.pid}`)], {
      cwd: path.join(SERVICES_DIR, 'order-processor'),
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.notEqual(run.status, 0);
    assert.match(`${run.stdout}${run.stderr}`, /needs an https issuer URL and an audience.*jwtIssuerUrl/s);
  });

  it(`keeps every function zip under the ${ZIP_BUDGET_BYTES / 1024} KiB budget`, () => {
    const rows = SERVICES.flatMap((service) => Object.entries(packaged[service].zips).map(([zip, bytes]) => ({ service, zip, bytes })));
    const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
    console.log(`\nFunction zips against the budget of ${ZIP_BUDGET_BYTES.toLocaleString('en')} B (${kib(ZIP_BUDGET_BYTES)}):`);
    console.log(['service'.padEnd(16), 'zip'.padEnd(26), 'bytes'.padStart(9), 'size'.padStart(11), 'of budget'.padStart(10), ''].join('  '));
    for (const { service, zip, bytes } of rows) {
      const share = `${((100 * bytes) / ZIP_BUDGET_BYTES).toFixed(0)}%`;
      const verdict = bytes <= ZIP_BUDGET_BYTES ? 'ok' : 'OVER BUDGET';
      console.log([service.padEnd(16), zip.padEnd(26), bytes.toLocaleString('en').padStart(9), kib(bytes).padStart(11), share.padStart(10), verdict].join('  '));
    }
    const over = rows.filter(({ bytes }) => bytes > ZIP_BUDGET_BYTES).map(({ service, zip, bytes }) => `${service}: ${zip} is ${bytes} B`);
    assert.ok(rows.length > 0, 'no function zips found');
    assertNone(over, 'all services', `function zip size budget ${ZIP_BUDGET_BYTES} B`);
  });

  describeDeployPackages(STAGE, SERVICES, () => SERVICES.map((name) => ({ name, dir: packaged[name].dir, template: packaged[name].template, state: packaged[name].state, zips: Object.keys(packaged[name].zips) })));
});
