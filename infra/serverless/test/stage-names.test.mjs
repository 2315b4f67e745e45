// Stage names and the names built from them (lib/stage-names.cjs,
// lib/names.cjs functionRoleName, plugins/name-limits.js): each function's role
// fits IAM's 64 characters for any stage allowed; a stage's shape and length
// are checked before anything is compiled, with one message naming each
// service's limit. tools/policy/test checks the same on every service's
// compiled template, and runs the real `serverless package` with a stage too long.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';

const require = createRequire(import.meta.url);
const { functionRoleName, ROLE_NAME_LIMIT } = require('../lib/names.cjs');
const {
  MAX_STAGE_LENGTH,
  MAX_STAGE_LENGTH_BY_SERVICE,
  REFERENCE_REGION,
  configNames,
  maxStageLengthsIn,
  longestStage,
  namesOverLimit,
  stageRefusal,
  stageShapeProblem,
  templateNames,
} = require('../lib/stage-names.cjs');
const NameLimits = require('../plugins/name-limits.js');

/** A stage of `length` characters, of the allowed shape. @param {number} length */
const stageOf = (length) => `s${'x'.repeat(length - 1)}`;
/** The longest pull-request preview stage the workflows make: pr-<number>, up to a million pull requests. */
const LONGEST_PR_STAGE = 'pr-999999';

/** order-processor's functions and what its serverless.yml names, enough for configNames(). @param {string} stage */
const orderProcessor = (stage) => ({
  service: 'order-processor',
  stage,
  region: 'us-east-1',
  functions: Object.fromEntries(
    ['placeOrder', 'getOrder', 'settleOrders', 'publishOrderEvents', 'findStuckOrders'].map((key) => [key, { name: `order-processor-${stage}-${key}`, iamRoleStatements: [] }]),
  ),
  resources: {
    Resources: {
      OrdersTable: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: `order-processor-${stage}-orders` } },
      Dlq: { Type: 'AWS::SQS::Queue', Properties: { QueueName: `order-processor-${stage}-order-events-relay-dlq` } },
    },
    Outputs: { OrdersTableName: { Value: { Ref: 'OrdersTable' } } },
  },
});

describe('function role names', () => {
  it('are <service>-<stage>-<function>-<region> while that fits 64 characters', () => {
    const name = functionRoleName({ service: 'order-processor', stage: 'rehearsal', functionName: 'publishOrderEvents', region: 'us-east-1' });
    assert.equal(name, 'order-processor-rehearsal-publishOrderEvents-us-east-1');
  });

  it('past 64, keep <service>-<stage>-, cut the rest and end in a hash of the whole name: the same on every compile, distinct per function', () => {
    const stage = stageOf(MAX_STAGE_LENGTH);
    const of = (/** @type {string} */ functionName) => functionRoleName({ service: 'order-processor', stage, functionName, region: 'ap-southeast-2' });
    const name = of('publishOrderEvents');
    assert.equal(name.length, ROLE_NAME_LIMIT);
    assert.ok(name.startsWith(`order-processor-${stage}-publish`), name);
    assert.match(name, /-[0-9a-f]{8}$/);
    assert.equal(of('publishOrderEvents'), name);
    assert.notEqual(of('publishOrderEventsAgain'), name);
  });

  it('fit IAM for every allowed stage length, every function of the services and a long region', () => {
    const functions = { 'items-api': ['publishDomainEvents', 'reserveStock'], notifier: ['notifyCustomers'], 'order-processor': ['publishOrderEvents', 'findStuckOrders'] };
    for (let length = 1; length <= MAX_STAGE_LENGTH; length += 1) {
      for (const [service, keys] of Object.entries(functions)) {
        for (const functionName of keys) {
          const name = functionRoleName({ service, stage: stageOf(length), functionName, region: 'ap-southeast-2' });
          assert.ok(name.length <= ROLE_NAME_LIMIT, `${name}: ${name.length}`);
          assert.match(name, /^[\w+=,.@-]+$/, name);
        }
      }
    }
  });
});

describe('stage names', () => {
  it('have the shape CloudFormation, IAM and S3 need', () => {
    for (const stage of ['dev', 'staging', 'production', 'local', 'pr-12345', 'a1', 'feature-x2']) assert.equal(stageShapeProblem(stage), undefined, stage);
    for (const stage of ['', 'Dev', '1dev', '-dev', 'dev-', 'pr--1', 'pr_1', 'pr.1', 'dév', 'my stage']) {
      assert.match(String(stageShapeProblem(stage)), /is not a stage name: a lowercase letter first/, stage);
    }
  });

  it('are at most the smallest of the services\' limits, which a pull request\'s preview stage fits', () => {
    assert.equal(MAX_STAGE_LENGTH, Math.min(...Object.values(MAX_STAGE_LENGTH_BY_SERVICE)));
    assert.deepEqual(Object.keys(MAX_STAGE_LENGTH_BY_SERVICE).sort(), ['event-bus', 'items-api', 'notifier', 'order-processor']);
    assert.ok(LONGEST_PR_STAGE.length <= MAX_STAGE_LENGTH, `${LONGEST_PR_STAGE} is over ${MAX_STAGE_LENGTH}`);
    for (const stage of ['pr-1', 'pr-12345', LONGEST_PR_STAGE]) {
      assert.equal(stageRefusal({ service: 'order-processor', stage, entries: configNames(orderProcessor(stage)) }), undefined, stage);
    }
  });
});

describe('the longest stage that fits', () => {
  it('is decided by the tightest name; a name holding the stage twice grows twice as fast', () => {
    const entries = configNames(orderProcessor('dev'));
    const { length, decidedBy } = longestStage(entries, 'dev');
    // order-processor-<stage>-publishOrderEvents: 35 characters besides the stage, Lambda allows 64.
    assert.equal(length, 29);
    assert.equal(decidedBy?.name, 'order-processor-dev-publishOrderEvents');
    const twice = [{ where: 'x', what: 'x', name: 'a-dev-b-dev', limit: 20, doc: '' }];
    // 5 characters besides the two stages: 5 + 2 x 7 = 19 fits 20, 5 + 2 x 8 = 21 does not.
    assert.equal(longestStage(twice, 'dev').length, 7);
  });

  it('counts the stage only as a whole part of a name: stage "a" is not in "items-api"', () => {
    const entries = [{ where: 'x', what: 'x', name: 'items-api-a-publishDomainEvents', limit: 64, doc: '' }];
    assert.equal(longestStage(entries, 'a').length, 64 - 'items-api--publishDomainEvents'.length);
  });

  it('counts a role by the shortest name it can take, <service>-<stage>-<hash>', () => {
    const entries = configNames(orderProcessor('dev')).filter((entry) => entry.where.endsWith(' role'));
    assert.equal(entries.length, 5);
    assert.equal(longestStage(entries, 'dev').length, 64 - 'order-processor--'.length - 8);
  });
});

describe('names in a compiled template', () => {
  const template = {
    Resources: {
      Role: {
        Type: 'AWS::IAM::Role',
        Properties: {
          RoleName: { 'Fn::Join': ['-', ['svc', 'dev', 'aVeryLongFunctionNameThatGoesOnAndOnAndOn', { Ref: 'AWS::Region' }, 'lambdaRole']] },
          Policies: [{ PolicyName: { 'Fn::Join': ['-', ['svc', 'dev', 'lambda']] } }],
        },
      },
      Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: `svc-dev-${'q'.repeat(80)}.fifo` } },
      Secret: { Type: 'AWS::SecretsManager::Secret', Properties: { Name: { 'Fn::Sub': 'svc/${AWS::Region}/key' } } },
      Later: { Type: 'AWS::SNS::Topic', Properties: { TopicName: { 'Fn::GetAtt': ['Queue', 'QueueName'] } } },
    },
    Outputs: { Arn: { Value: 'x', Export: { Name: `svc-dev-${'E'.repeat(250)}` } } },
  };

  it('are read as CloudFormation will see them (pseudo parameters in); those known only at deploy time are left out', () => {
    const names = templateNames(template, { stackName: 'svc-dev', region: 'us-east-1' });
    assert.deepEqual(
      names.map(({ where, name }) => [where, name.length > 40 ? `${name.slice(0, 40)}…` : name]),
      [
        ['stack', 'svc-dev'],
        ['Role/RoleName', 'svc-dev-aVeryLongFunctionNameThatGoesOnA…'],
        ['Role/Policies/0/PolicyName', 'svc-dev-lambda'],
        ['Queue/QueueName', 'svc-dev-qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq…'],
        ['Secret/Name', 'svc/us-east-1/key'],
        ['Outputs/Arn/Export/Name', 'svc-dev-EEEEEEEEEEEEEEEEEEEEEEEEEEEEEEEE…'],
      ],
    );
  });

  it('over their limit are each named with the resource, the name, its length, the limit and where AWS says so', () => {
    const problems = namesOverLimit(templateNames(template, { stackName: 'svc-dev', region: 'us-east-1' }));
    assert.equal(problems.length, 3);
    assert.match(String(problems[0]), /^Role\/RoleName: IAM role name "svc-dev-aVeryLong\S+-us-east-1-lambdaRole" is 70 characters, over the limit of 64 \(https:\/\/docs\.aws\.amazon\.com\/IAM\/\S+\)$/);
    assert.match(String(problems[1]), /^Queue\/QueueName: SQS queue name "svc-dev-q+\.fifo" is 93 characters, over the limit of 80 \(https:\/\/docs\.aws\.amazon\.com\/AWSSimpleQueueService\/\S+\)$/);
    assert.match(String(problems[2]), /^Outputs\/Arn\/Export\/Name: CloudFormation export name "svc-dev-E+" is 258 characters, over the limit of 255 /);
  });
});

/** items-api's images bucket as its serverless.yml names it, enough for configNames(). @param {string} stage @param {string} region */
const itemsApi = (stage, region) => ({
  service: 'items-api',
  stage,
  region,
  functions: { publishDomainEvents: { name: `items-api-${stage}-publishDomainEvents`, iamRoleStatements: [] } },
  resources: {
    Resources: {
      ImagesBucket: { Type: 'AWS::S3::Bucket', Properties: { BucketName: { 'Fn::Sub': '${AWS::StackName}-images-${AWS::AccountId}-${AWS::Region}' } } },
    },
  },
});

describe('S3 bucket names', () => {
  it('are read from their Fn::Sub with a 12-digit account id and the region, and held to 63 characters', () => {
    const names = configNames(itemsApi('dev', 'us-east-1'));
    const bucket = names.find((entry) => entry.where === 'ImagesBucket/BucketName');
    assert.equal(bucket?.name, 'items-api-dev-images-123456789012-us-east-1');
    assert.equal(bucket?.limit, 63);
    assert.match(String(bucket?.doc), /^https:\/\/docs\.aws\.amazon\.com\/AmazonS3\/latest\/userguide\/bucketnamingrules\.html$/);
    assert.deepEqual(namesOverLimit(names), []);
    const long = configNames(itemsApi(stageOf(24), 'us-east-1'));
    assert.deepEqual(
      namesOverLimit(long).map((problem) => problem.replace(/ \(https:\/\/\S+\)$/, '')),
      [`ImagesBucket/BucketName: S3 bucket name "items-api-${stageOf(24)}-images-123456789012-us-east-1" is 64 characters, over the limit of 63`],
    );
  });

  it('may hold only lowercase letters, digits, hyphens and dots', () => {
    const named = (/** @type {string} */ BucketName) => namesOverLimit(templateNames({ Resources: { B: { Type: 'AWS::S3::Bucket', Properties: { BucketName } } } }, { stackName: 'svc-dev', region: 'us-east-1' }));
    assert.deepEqual(named('svc-dev-images.b1'), []);
    for (const bad of ['Svc-dev-images', 'svc_dev_images', 'svc-dev-images-', '-svc', 'ab']) assert.match(String(named(bad)[0]), /^B\/BucketName: S3 bucket name ".*" may hold only lowercase letters, digits, hyphens and dots/, bad);
  });

  it('leave the stage less room in a region with a longer code: the longest stage is worked out in the region being packaged', () => {
    // items-api-<stage>-images-<12 digits>-<region>: 31 characters besides the stage and the region.
    for (const [region, length] of /** @type {const} */ ([['us-east-1', 23], ['eu-central-1', 20], ['ap-southeast-2', 18]])) {
      assert.equal(longestStage(configNames(itemsApi('dev', region)), 'dev').length, length, region);
      assert.equal(maxStageLengthsIn(region)['items-api'], length, region);
      // Services whose names do not carry the region keep their limit.
      assert.equal(maxStageLengthsIn(region)['order-processor'], MAX_STAGE_LENGTH_BY_SERVICE['order-processor']);
    }
    assert.equal(REFERENCE_REGION, 'us-east-1');
    assert.deepEqual(maxStageLengthsIn(REFERENCE_REGION), MAX_STAGE_LENGTH_BY_SERVICE);
    assert.equal(MAX_STAGE_LENGTH, 23);
    // A stage that fits in us-east-1 but not in ap-southeast-2 is refused there, by the bucket's name, and only there.
    const stage = stageOf(20);
    assert.equal(stageRefusal({ service: 'items-api', stage, region: 'us-east-1', entries: configNames(itemsApi(stage, 'us-east-1')) }), undefined);
    const refused = String(stageRefusal({ service: 'items-api', stage, region: 'ap-southeast-2', entries: configNames(itemsApi(stage, 'ap-southeast-2')) }));
    assert.match(refused, /^Stage "s+x*" is 20 characters; a stage may be at most 18 in ap-southeast-2, /);
    assert.match(refused, /\n {2}items-api: at most 18 characters/);
    assert.match(refused, /ImagesBucket\/BucketName: S3 bucket name "items-api-s\w+-images-123456789012-ap-southeast-2" is 65 characters, over the limit of 63/);
    // Another service packaged in that region is told items-api's limit there too.
    assert.match(String(stageRefusal({ service: 'order-processor', stage: stageOf(30), region: 'ap-southeast-2', entries: configNames(orderProcessor(stageOf(30))) })), /\n {2}items-api: at most 18 characters/);
  });
});

describe('`serverless package` and `deploy` with a stage that cannot fit', () => {
  it('refuse it with one message: how long a stage may be for each service, and the names that would not fit', () => {
    const stage = 'pr-1234-feature-branch-long-name';
    const message = String(stageRefusal({ service: 'order-processor', stage, entries: configNames(orderProcessor(stage)) }));
    assert.match(message, new RegExp(`^Stage "${stage}" is 32 characters; a stage may be at most ${MAX_STAGE_LENGTH} in us-east-1, `));
    for (const [service, length] of Object.entries(MAX_STAGE_LENGTH_BY_SERVICE)) assert.match(message, new RegExp(`\\n  ${service}: at most ${length} characters`));
    assert.match(message, /functions\.publishOrderEvents\.name: Lambda function name "order-processor-pr-1234-feature-branch-long-name-publishOrderEvents" is 67 characters, over the limit of 64/);
    // The role shortens itself: it is never among the names that would not fit.
    assert.doesNotMatch(message, /IAM role name/);
  });

  it('refuse a stage of the wrong shape, however short', () => {
    assert.match(String(stageRefusal({ service: 'notifier', stage: 'Dev', entries: [] })), /^Stage "Dev" is not a stage name/);
  });

  /**
   * The plugin as the framework drives it: its initialize hook for `command`, then naming the roles.
   * @param {string} command @param {string} stage
   * @returns {Record<string, { iamRoleStatementsName?: string }>}
   */
  const run = (command, stage) => {
    const config = orderProcessor(stage);
    /** @type {Record<string, any>} */
    const functions = structuredClone(config.functions);
    const serverless = {
      service: {
        service: config.service,
        provider: { stage, region: 'us-east-1' },
        functions,
        resources: config.resources,
        getAllFunctions: () => Object.keys(functions),
        getFunction: (/** @type {string} */ key) => functions[key],
      },
      classes: { Error },
      processedInput: { commands: command.split(' ') },
      getProvider: () => ({ getStage: () => stage }),
    };
    // Only the parts of the framework's object the plugin reads.
    const plugin = new NameLimits(/** @type {any} */ (serverless));
    plugin.hooks.initialize();
    plugin.hooks['before:package:compileFunctions']();
    return functions;
  };

  it('are refused by the plugin\'s first hook on package and deploy only (remove still cleans up an old stage)', () => {
    const long = stageOf(MAX_STAGE_LENGTH + 1);
    assert.throws(() => run('package', long), /a stage may be at most/);
    assert.throws(() => run('deploy', long), /a stage may be at most/);
    assert.throws(() => run('deploy function', long), /a stage may be at most/);
    assert.doesNotThrow(() => run('remove', long));
  });

  it('give each function with its own statements a role name that fits, before serverless-iam-roles-per-function names it', () => {
    const stage = stageOf(MAX_STAGE_LENGTH);
    const functions = run('package', stage);
    for (const [key, definition] of Object.entries(functions)) {
      assert.equal(definition.iamRoleStatementsName, functionRoleName({ service: 'order-processor', stage, functionName: key, region: 'us-east-1' }));
      assert.ok(String(definition.iamRoleStatementsName).length <= ROLE_NAME_LIMIT);
    }
  });
});
