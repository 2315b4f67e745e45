// Packages every service exactly as a deploy would (`serverless package`
// through Nx, no AWS access needed) and holds what comes out, the
// CloudFormation template and the function zips in services/<svc>/.serverless/,
// to our deployment rules (../template-policy.mjs) and to cfn-check. The
// first describe block proves on small hand-made templates that each rule
// really fails what it should.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import cfnCheck from '../cfn-check.cjs';
import {
  EVENT_BUS_SERVICE,
  consumerQueuesSubscribeToTheBus,
  deadLetterQueues,
  eventBusTopicArn,
  functionZips,
  httpApisAuthorizeWrites,
  routeAccess,
  noWildcards,
  nodeRuntimes,
  oneRolePerFunction,
  ownResourcesOnly,
  queuePoliciesAllowOnlyTheTopic,
  sqsVisibilityTimeout,
} from '../template-policy.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
// Every directory of services/ with a serverless.yml is a service, named (in
// its `service:`, and as an Nx project) as its directory.
const SERVICES_DIR = path.join(ROOT, 'services');
const SERVICES = readdirSync(SERVICES_DIR)
  .filter((dir) => existsSync(path.join(SERVICES_DIR, dir, 'serverless.yml')))
  .sort();
const serviceNameOf = (dir) => readFileSync(path.join(SERVICES_DIR, dir, 'serverless.yml'), 'utf8').match(/^service:\s*['"]?([\w-]+)/m)?.[1];
const STAGE = 'dev';
// The stage params a deploy passes (README "Deploying"); packaging an API without them fails.
const JWT_PARAMS = { JWT_ISSUER_URL: 'https://issuer.example.com/', JWT_AUDIENCE: 'platform-api' };
/** Who may call each route, as the DESIGN brief says: reads of the catalogue are public, its changes need items:write, orders a customer's token. */
const EXPECTED_ACCESS = {
  'items-api': {
    'GET /items': 'public',
    'GET /items/{id}': 'public',
    'POST /items': 'items:write',
    'PATCH /items/{id}': 'items:write',
    'DELETE /items/{id}': 'items:write',
  },
  'order-processor': { 'POST /orders': 'token', 'GET /orders/{id}': 'token' },
};
// Every service names the bus topic by the event bus's export (the bus itself has no queue to name it in).
const BUS_TOPIC_ARN = eventBusTopicArn(STAGE);

// Size budget for one function's zip (compressed, as uploaded). Measured on
// 2026-11-27 with `serverless package --stage dev`: items-api 232,878 B
// (publishDomainEvents) to 255,379 B (reserveStock), order-processor
// 232,293 B (publishOrderEvents) to 257,002 B (settleOrders), notifier
// notifyCustomers 255,314 B; event-bus has no functions. About 80% of each
// zip is the source map (sourcemap: linked). The budget is the largest,
// 257,002 B, rounded up and given ~27% headroom: a new dependency bundled by
// mistake (e.g. an AWS SDK client that `exclude` should keep out) breaks it,
// ordinary growth does not. Raise it on purpose, with the new measurements.
const ZIP_BUDGET_BYTES = 320 * 1024;

/** Fails with every problem listed, each under its service and rule. */
const assertNone = (problems, service, rule) =>
  assert.deepEqual(problems, [], `${service}: ${rule}:\n  - ${problems.join('\n  - ')}`);

// ---------------------------------------------------------------------------
// Small hand-made templates. `lambda(...)` is one function with its own role;
// `template(...)` wraps resources.
const template = (Resources) => ({ AWSTemplateFormatVersion: '2010-09-09', Resources });
const role = (statements = []) => ({
  Type: 'AWS::IAM::Role',
  Properties: {
    AssumeRolePolicyDocument: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: ['lambda.amazonaws.com'] }, Action: ['sts:AssumeRole'] }],
    },
    Policies: [{ PolicyName: 'fn', PolicyDocument: { Version: '2012-10-17', Statement: statements } }],
  },
});
const lambda = (roleId, properties = {}) => ({
  Type: 'AWS::Lambda::Function',
  Properties: {
    Code: { S3Bucket: 'bucket', S3Key: 'serverless/svc/dev/1/fn.zip' },
    Handler: 'index.handler',
    Runtime: 'nodejs22.x',
    Timeout: 6,
    Role: { 'Fn::GetAtt': [roleId, 'Arn'] },
    ...properties,
  },
});
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
  it('cfn-check flags unknown properties, dangling references and old runtimes, and accepts what osls emits', () => {
    const good = template({
      Fn: lambda('FnRole', {
        Environment: {
          Variables: {
            TOPIC: TOPIC,
            URL: { 'Fn::Join': ['', ['https://', { Ref: 'AWS::Region' }, '.example']] },
            LOGS: { 'Fn::Sub': 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/x:*' },
            QUEUE_ARN: { 'Fn::Sub': '${Queue.Arn}' },
            DEBUG: { 'Fn::If': ['IsProd', 'false', { Ref: 'AWS::NoValue' }] },
          },
        },
      }),
      FnRole: role(),
      Queue: { Type: 'AWS::SQS::Queue', Condition: 'IsProd', DependsOn: ['FnRole'], Properties: { VisibilityTimeout: '36' } },
    });
    good.Conditions = { IsProd: { 'Fn::Equals': [{ Ref: 'AWS::StackName' }, 'prod'] } };
    good.Outputs = { QueueArn: { Value: { 'Fn::GetAtt': ['Queue', 'Arn'] }, Export: { Name: 'svc-dev-QueueArn' }, Condition: 'IsProd' } };
    assert.deepEqual(cfnCheck.checkTemplate(good), []);

    const bad = template({
      Fn: lambda('NoSuchRole', { Runtime: 'nodejs20.x', Timout: 6 }),
      Queue: { Type: 'AWS::SQS::Queue', DependsOn: 'Nothing', Properties: { VisibilityTimeout: 'long', Tags: {} } },
      Thing: { Type: 'AWS::SQS::Queeu' },
      Sub: { Type: 'AWS::SNS::Topic', Properties: { TopicName: { 'Fn::Sub': '${AWS::Regoin}-${Queue.Url}' } } },
    });
    assert.deepEqual(cfnCheck.checkTemplate(bad).sort(), [
      'Resources/Fn/Properties/Role/Fn::GetAtt: no resource "NoSuchRole"',
      'Resources/Fn/Properties/Runtime: Runtime "nodejs20.x": must be nodejs22.x or newer',
      'Resources/Fn/Properties/Timout: unknown property of AWS::Lambda::Function',
      'Resources/Queue/DependsOn: no resource "Nothing"',
      'Resources/Queue/Properties/Tags: expected an array, got {}',
      'Resources/Queue/Properties/VisibilityTimeout: expected an integer, got "long"',
      'Resources/Sub/Properties/TopicName/Fn::Sub: ${AWS::Regoin} names no resource, parameter or variable',
      'Resources/Sub/Properties/TopicName/Fn::Sub: AWS::SQS::Queue has no attribute "Url" (has Arn, QueueName, QueueUrl)',
      'Resources/Thing/Type: unknown resource type AWS::SQS::Queeu',
    ]);
  });

  it('runtime: nodejs22.x and newer pass, older or other runtimes fail', () => {
    const runtimes = (Runtime) => nodeRuntimes(template({ Fn: lambda('R', { Runtime }), R: role() }));
    for (const ok of ['nodejs22.x', 'nodejs24.x', 'nodejs26.x']) assert.deepEqual(runtimes(ok), [], ok);
    for (const old of ['nodejs20.x', 'nodejs18.x', 'python3.13', 'nodejs22', undefined]) assert.equal(runtimes(old).length, 1, String(old));
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

  it('SQS visibility: a 30 s queue feeding a 6 s function is flagged, 36 s is not', () => {
    assert.deepEqual(sqsVisibilityTimeout(sqsFeeding({ VisibilityTimeout: 30 }, 6)), [
      'Queue: VisibilityTimeout 30 s is under 6 x the 6 s Timeout of Fn it feeds (needs >= 36 s)',
    ]);
    assert.deepEqual(sqsVisibilityTimeout(sqsFeeding({ VisibilityTimeout: 36 }, 6)), []);
    // Left out, SQS defaults to 30 s.
    assert.equal(sqsVisibilityTimeout(sqsFeeding({}, 6)).length, 1);
  });

  it('dead-letter queues: retention other than 14 days and maxReceiveCount other than 3 are flagged', () => {
    const redrive = (dlq, maxReceiveCount) =>
      template({
        Queue: { Type: 'AWS::SQS::Queue', Properties: { RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Dlq', 'Arn'] }, maxReceiveCount } } },
        Dlq: { Type: 'AWS::SQS::Queue', Properties: dlq },
      });
    assert.deepEqual(deadLetterQueues(redrive({ MessageRetentionPeriod: 1209600 }, 3)), []);
    assert.deepEqual(deadLetterQueues(redrive({}, 5)), [
      'Queue: RedrivePolicy maxReceiveCount is 5, must be 3',
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
      `${STATEMENT}/Fn::ImportValue: imports items-api's export "items-api-dev-ItemsTableArn", only "event-bus-dev-DomainEventsTopicArn" may be imported`,
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
});

// ---------------------------------------------------------------------------
describe('packaged services keep the deployment rules', () => {
  const packaged = {}; // service -> { template, zips: { name: bytes } }

  before(
    () => {
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
      const args = ['nx', 'run-many', '-t', 'package', `--projects=${SERVICES.join(',')}`];
      const run = spawnSync('npx', args, { cwd: ROOT, env, encoding: 'utf8', timeout: 5 * 60_000 });
      if (run.status !== 0) {
        throw new Error(`npx ${args.join(' ')} failed (${run.error?.message ?? `exit ${run.status}`}):\n${run.stdout}\n${run.stderr}`);
      }
      for (const service of SERVICES) {
        const dir = path.join(ROOT, 'services', service, '.serverless');
        const zips = {};
        for (const file of readdirSync(dir).filter((name) => name.endsWith('.zip'))) zips[file] = statSync(path.join(dir, file)).size;
        const template = JSON.parse(readFileSync(path.join(dir, 'cloudformation-template-update-stack.json'), 'utf8'));
        packaged[service] = { template, zips };
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
      const rules = {
        'cfn-check (CloudFormation would accept the template)': (t) => cfnCheck.checkTemplate(t),
        'one IAM role per function, no unused role': oneRolePerFunction,
        'no wildcard actions, Resource "*" only for logs/xray': noWildcards,
        'SQS event source VisibilityTimeout >= 6 x function Timeout': sqsVisibilityTimeout,
        'DLQs keep 14 days, RedrivePolicy maxReceiveCount 3': deadLetterQueues,
        'queue policies admit only SNS from the domain-events topic': (t) => queuePoliciesAllowOnlyTheTopic(t, BUS_TOPIC_ARN),
        'names only its own resources, and the bus only by its export': (t) => ownResourcesOnly(t, { service, stage: STAGE, services: SERVICES }),
        'consumer queues subscribe to the bus, raw, filtered on type': (t) => consumerQueuesSubscribeToTheBus(t, BUS_TOPIC_ARN),
        'Lambda runtime nodejs22.x or newer': nodeRuntimes,
        'HTTP routes that change state need a JWT authorizer; every stage is throttled': httpApisAuthorizeWrites,
      };
      for (const [rule, check] of Object.entries(rules)) {
        it(rule, () => assertNone(check(packaged[service].template), service, rule));
      }
      it('has a zip for every function', () => {
        const missing = functionZips(packaged[service].template)
          .filter(({ zip }) => !(zip in packaged[service].zips))
          .map(({ id, zip }) => `${id}: no ${zip} in services/${service}/.serverless`);
        assertNone(missing, service, 'every function has its zip');
      });
    });
  }

  it('gives each route exactly the access the design names, with the stage params’ issuer and audience', () => {
    const actual = Object.fromEntries(SERVICES.map((service) => [service, routeAccess(packaged[service].template)]).filter(([, routes]) => Object.keys(routes).length > 0));
    assert.deepEqual(actual, EXPECTED_ACCESS);
    for (const service of Object.keys(EXPECTED_ACCESS)) {
      const [authorizer] = Object.values(packaged[service].template.Resources).filter((r) => r.Type === 'AWS::ApiGatewayV2::Authorizer');
      assert.deepEqual(authorizer.Properties.JwtConfiguration, { Issuer: JWT_PARAMS.JWT_ISSUER_URL, Audience: [JWT_PARAMS.JWT_AUDIENCE] });
      assert.deepEqual(authorizer.Properties.IdentitySource, ['$request.header.Authorization']);
    }
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
});
