// Each function's role, read from compiled templates with local ARNs: the
// real notifier template (fixtures/iam-notifier-template.json, as `serverless
// package --stage local` compiles it), and small templates for what it lacks
// (imports, attached policies, what cannot be resolved).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { KNOWN_CONDITION_KEYS } from '../iam/authorizer.mjs';
import { createResolver, resourcesOfType } from '../cloudformation/cfn.mjs';
import { evaluate } from '../iam/evaluate.mjs';
import { eventSourceMappingProblems } from '../iam/local-iam.mjs';
import { functionRoles, tableHashKeys } from '../iam/policy-from-template.mjs';
import { registerFunctions } from '../event-sources/event-sources.mjs';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';

/** A stack as provisioning leaves it (physicalIds, resolve), without the emulators: the physical ids they would give. */
const provisioned = (name, template) => {
  const physicalIds = new Map();
  const resolve = createResolver({ region: REGION, stackName: `${name}-local`, physicalIds });
  for (const [id, { Properties }] of resourcesOfType(template, 'AWS::DynamoDB::Table')) {
    const table = resolve(Properties.TableName);
    const Arn = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${table}`;
    physicalIds.set(id, { ref: table, attributes: { Arn, StreamArn: `arn:aws:dynamodb:ddblocal:${ACCOUNT}:table/${table}/stream/2026-11-27T00:00:00.000` } });
  }
  for (const [id, { Properties }] of resourcesOfType(template, 'AWS::SNS::Topic')) {
    const TopicArn = `arn:aws:sns:${REGION}:${ACCOUNT}:${resolve(Properties.TopicName)}`;
    physicalIds.set(id, { ref: TopicArn, attributes: { TopicArn } });
  }
  for (const [id, { Properties }] of resourcesOfType(template, 'AWS::SQS::Queue')) {
    const QueueName = resolve(Properties.QueueName);
    const QueueUrl = `http://sqs.${REGION}.localhost:4566/${ACCOUNT}/${QueueName}`;
    physicalIds.set(id, { ref: QueueUrl, attributes: { Arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${QueueName}`, QueueName, QueueUrl } });
  }
  const stack = { name, template, physicalIds, resolve };
  registerFunctions({ ...stack, region: REGION });
  return stack;
};

const allowed = (role, action, resource) => evaluate(role.statements, { action, resource, context: {} }, { knownKeys: KNOWN_CONDITION_KEYS }).decision === 'Allow';
const notifierTemplate = () => JSON.parse(readFileSync(new URL('./fixtures/iam-notifier-template.json', import.meta.url), 'utf8'));

describe('local IAM: roles from a real compiled template (notifier)', () => {
  const warnings = [];
  const stack = provisioned('notifier', notifierTemplate());
  const roles = functionRoles([stack], { warn: (line) => warnings.push(line) });
  const role = roles.get('notifier-local-notifyCustomers');
  const table = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/notifier-local-notifications`;

  it('finds the function’s own role, named as AWS names it, with nothing left unresolved', () => {
    assert.deepEqual([...roles.keys()], ['notifier-local-notifyCustomers']);
    assert.equal(role?.roleName, `notifier-local-notifyCustomers-${REGION}-lambdaRole`);
    assert.deepEqual(warnings, []);
  });

  it('allows what notifier’s serverless.yml grants, on the local ARNs', () => {
    assert.ok(role);
    for (const action of ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem']) assert.ok(allowed(role, action, table), action);
    assert.ok(allowed(role, 'sns:Publish', `arn:aws:sns:${REGION}:${ACCOUNT}:notifier-local-customer-notifications`));
    assert.ok(allowed(role, 'logs:PutLogEvents', `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/notifier-local-notifyCustomers:log-stream:x`));
  });

  it('denies what it does not grant: DeleteItem (issue 13’s defect 1), another table, the bus topic', () => {
    assert.ok(role);
    assert.equal(allowed(role, 'dynamodb:DeleteItem', table), false);
    assert.equal(allowed(role, 'dynamodb:GetItem', `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/order-processor-local-orders`), false);
    assert.equal(allowed(role, 'sns:Publish', `arn:aws:sns:${REGION}:${ACCOUNT}:event-bus-local-domain-events`), false);
  });

  it('knows each table’s partition key, for dynamodb:LeadingKeys', () => {
    assert.deepEqual([...tableHashKeys([stack])], [['notifier-local-notifications', 'pk']]);
  });

  it('finds that its SQS event source mapping has what Lambda needs, and says what is missing when it has not', () => {
    assert.deepEqual(eventSourceMappingProblems([stack], roles), []);
    const template = notifierTemplate();
    const statements = template.Resources.NotifyCustomersIamRoleLambdaExecution.Properties.Policies[0].PolicyDocument.Statement;
    const sqs = statements.find((statement) => [statement.Action].flat().includes('sqs:ReceiveMessage'));
    sqs.Action = ['sqs:ReceiveMessage', 'sqs:GetQueueAttributes'];
    const broken = provisioned('notifier', template);
    assert.deepEqual(eventSourceMappingProblems([broken], functionRoles([broken], { warn: () => {} })), [
      `notifier's NotifyCustomersEventSourceMappingSQSOrderOutcomesQueue: notifier-local-notifyCustomers's role does not allow sqs:DeleteMessage on arn:aws:sqs:${REGION}:${ACCOUNT}:notifier-local-order-outcomes, which Lambda needs for it`,
    ]);
  });
});

describe('local IAM: a malformed statement in a template', () => {
  it('grants nothing, and says so loudly: a typo `Actions:`, or no Resource, would otherwise allow everything', () => {
    const warnings = [];
    const template = {
      Resources: {
        Fn: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'typo-local-fn', Role: { 'Fn::GetAtt': ['FnRole', 'Arn'] } } },
        FnRole: {
          Type: 'AWS::IAM::Role',
          Properties: {
            Policies: [
              {
                PolicyName: 'inline',
                PolicyDocument: {
                  Statement: [
                    { Effect: 'Allow', Actions: ['dynamodb:GetItem'], Resource: '*' },
                    { Effect: 'Allow', Action: 'sns:Publish' },
                    { Effect: 'Allow', Action: 'dynamodb:Query', Resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/t` },
                  ],
                },
              },
            ],
          },
        },
      },
    };
    const role = /** @type {any} */ (functionRoles([provisioned('typo', template)], { warn: (line) => warnings.push(line) }).get('typo-local-fn'));
    assert.equal(allowed(role, 'dynamodb:DeleteItem', `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/t`), false);
    assert.equal(allowed(role, 'sns:Publish', `arn:aws:sns:${REGION}:${ACCOUNT}:bus`), false);
    assert.ok(allowed(role, 'dynamodb:Query', `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/t`), 'the well-formed statement still grants');
    assert.deepEqual(
      warnings.map((line) => line.replace(/: \{.*$/, '')),
      [
        'MALFORMED POLICY: typo-local-fn (role FnRole): a statement with no Action (nor NotAction), which IAM refuses; locally it grants nothing',
        'MALFORMED POLICY: typo-local-fn (role FnRole): a statement with no Resource (nor NotResource), which IAM refuses; locally it grants nothing',
      ],
    );
  });
});

describe('local IAM: roles from small templates', () => {
  const bus = {
    Resources: { Bus: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 'bus' } } },
    Outputs: { BusArn: { Value: { Ref: 'Bus' }, Export: { Name: { 'Fn::Sub': '${AWS::StackName}-BusArn' } } } },
  };
  const fn = (name, Role) => ({ Type: 'AWS::Lambda::Function', Properties: { FunctionName: name, Role } });
  const service = {
    Resources: {
      Table: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 'things', KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] } },
      Worker: fn('svc-local-worker', { 'Fn::GetAtt': ['WorkerRole', 'Arn'] }),
      Stranger: fn('svc-local-stranger', 'arn:aws:iam::123456789012:role/elsewhere'),
      WorkerRole: {
        Type: 'AWS::IAM::Role',
        Properties: {
          ManagedPolicyArns: ['arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole', 'arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess', { Ref: 'Extra' }],
          Policies: [
            {
              PolicyName: 'inline',
              PolicyDocument: {
                Statement: [
                  { Effect: 'Allow', Action: 'sns:Publish', Resource: { 'Fn::ImportValue': 'bus-local-BusArn' } },
                  { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: [{ 'Fn::GetAtt': ['Table', 'Arn'] }, { 'Fn::GetAtt': ['NotHere', 'Arn'] }] },
                  { Effect: 'Allow', Action: 'dynamodb:Scan', Resource: { 'Fn::GetAtt': ['NotHere', 'Arn'] } },
                  { Effect: 'Deny', Action: 'dynamodb:DeleteItem', Resource: { 'Fn::ImportValue': 'nobody-exports-this' } },
                ],
              },
            },
          ],
        },
      },
      Attached: {
        Type: 'AWS::IAM::Policy',
        Properties: { Roles: [{ Ref: 'WorkerRole' }], PolicyDocument: { Statement: [{ Effect: 'Allow', Action: ['dynamodb:PutItem', 'dynamodb:DeleteItem'], Resource: '*' }] } },
      },
      Extra: { Type: 'AWS::IAM::ManagedPolicy', Properties: { PolicyDocument: { Statement: { Effect: 'Allow', Action: 'dynamodb:Query', Resource: '*' } } } },
    },
  };
  const warnings = [];
  const roles = functionRoles([provisioned('bus', bus), provisioned('svc', service)], { warn: (line) => warnings.push(line) });
  const worker = /** @type {any} */ (roles.get('svc-local-worker'));
  const table = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/things`;

  it('resolves Fn::ImportValue from another local stack’s exports', () => {
    assert.ok(allowed(worker, 'sns:Publish', `arn:aws:sns:${REGION}:${ACCOUNT}:bus`));
  });

  it('adds attached AWS::IAM::Policy and ManagedPolicy resources and the known AWS managed policies', () => {
    assert.ok(allowed(worker, 'dynamodb:PutItem', table));
    assert.ok(allowed(worker, 'dynamodb:Query', table));
    assert.ok(allowed(worker, 'logs:CreateLogStream', `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:x`));
  });

  it('fails closed on what it cannot resolve, and warns: an Allow loses it, a Deny covers everything', () => {
    assert.ok(allowed(worker, 'dynamodb:GetItem', table), 'the resolvable resource of the statement stays');
    assert.equal(allowed(worker, 'dynamodb:Scan', table), false);
    assert.equal(allowed(worker, 'dynamodb:DeleteItem', table), false, 'the Deny on an unresolvable resource denies DeleteItem everywhere');
    assert.equal(allowed(worker, 'dynamodb:BatchWriteItem', table), false, 'AmazonDynamoDBFullAccess is not known locally, so grants nothing');
    assert.equal(roles.get('svc-local-stranger')?.statements.length, 0);
    assert.deepEqual(
      warnings.map((line) => line.replace(/(cannot be resolved locally) \(.*$/, '$1')),
      [
        'svc-local-worker (role WorkerRole): managed policy arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess is not known locally: nothing it allows is granted',
        'svc-local-worker (role WorkerRole): Resource {"Fn::GetAtt":["NotHere","Arn"]} cannot be resolved locally',
        'svc-local-worker (role WorkerRole): Resource {"Fn::GetAtt":["NotHere","Arn"]} cannot be resolved locally',
        'svc-local-worker (role WorkerRole): Resource {"Fn::ImportValue":"nobody-exports-this"} cannot be resolved locally',
        `svc-local-stranger: its role "arn:aws:iam::123456789012:role/elsewhere" is not an AWS::IAM::Role of svc's template, so every call it makes is denied`,
      ],
    );
  });
});
