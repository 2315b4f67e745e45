// plugins/retained-resources.js: before `serverless deploy` creates a stack,
// it names every retained resource of the template that already exists. What
// AWS answers is passed in here (the lookups); the rehearsal (npm run
// rehearse, tools/rehearse) runs the plugin's own AWS lookups against moto:
// deploy, remove, deploy again.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';

const require = createRequire(import.meta.url);
const RetainedResources = require('../plugins/retained-resources.js');
const { retainedResources } = RetainedResources;

const TEMPLATE = {
  Resources: {
    ItemsTable: { Type: 'AWS::DynamoDB::Table', DeletionPolicy: 'Retain', Properties: { TableName: 'items-api-dev-items' } },
    OrderPlacedQueue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'items-api-dev-order-placed' } },
    OrderPlacedDlq: { Type: 'AWS::SQS::Queue', DeletionPolicy: 'Retain', Properties: { QueueName: 'items-api-dev-order-placed-dlq' } },
    CursorSecret: { Type: 'AWS::SecretsManager::Secret', DeletionPolicy: 'Retain', Properties: { Name: 'items-api/dev/cursor-secret' } },
    CreateItemLambdaVersionAbc: { Type: 'AWS::Lambda::Version', DeletionPolicy: 'Retain', Properties: { FunctionName: { Ref: 'CreateItemLambdaFunction' } } },
    UnnamedDlq: { Type: 'AWS::SQS::Queue', DeletionPolicy: 'Retain', Properties: {} },
  },
};

/**
 * The plugin as the framework loads it, on `stage`, with AWS answering from `existing`.
 * @param {{ stage?: string, stackExists?: boolean, existing?: string[], template?: any }} [world]
 */
const plugin = ({ stage = 'dev', stackExists = false, existing = [], template = TEMPLATE } = {}) => {
  /** @type {string[]} */
  const asked = [];
  /** @type {string[]} */
  const warnings = [];
  const exists = async (/** @type {{ name: string }} */ { name }) => {
    asked.push(name);
    return existing.includes(name);
  };
  const serverless = {
    service: { service: 'items-api', provider: { stage, region: 'us-east-1', compiledCloudFormationTemplate: template } },
    classes: { Error },
    getProvider: () => ({ getStage: () => stage, getRegion: () => 'us-east-1', naming: { getStackName: () => `items-api-${stage}` } }),
  };
  const instance = new RetainedResources(
    /** @type {any} */ (serverless),
    {},
    { log: { info: () => {}, warning: (/** @type {string} */ message) => warnings.push(message) } },
    {
      stackExists: async () => {
        asked.push('stack');
        return stackExists;
      },
      exists: { 'AWS::DynamoDB::Table': exists, 'AWS::SQS::Queue': exists, 'AWS::SecretsManager::Secret': exists, 'AWS::S3::Bucket': exists },
      accountId: async () => {
        asked.push('account');
        return '123456789012';
      },
    },
  );
  return { instance, asked, warnings, run: () => instance.hooks['before:aws:deploy:deploy:createStack']() };
};

describe('retained-resources plugin', () => {
  it('looks up the retained tables, queues and secrets the template names; not a Lambda version, an unretained or an unnamed resource', () => {
    const { named, unchecked } = retainedResources(TEMPLATE);
    assert.deepEqual(
      named.map(({ id, name }) => `${id} ${name}`),
      ['ItemsTable items-api-dev-items', 'OrderPlacedDlq items-api-dev-order-placed-dlq', 'CursorSecret items-api/dev/cursor-secret'],
    );
    assert.deepEqual(unchecked, []);
  });

  it('says which retained resources it cannot look up: another type, a name that is not a literal', () => {
    const { unchecked } = retainedResources({
      Resources: {
        Topic: { Type: 'AWS::SNS::Topic', DeletionPolicy: 'Retain', Properties: { TopicName: 'alarms' } },
        Table: { Type: 'AWS::DynamoDB::Table', DeletionPolicy: 'Retain', Properties: { TableName: { 'Fn::Sub': '${AWS::StackName}-${Stage}' } } },
        Joined: { Type: 'AWS::SQS::Queue', DeletionPolicy: 'Retain', Properties: { QueueName: { 'Fn::Join': ['-', ['a', 'b']] } } },
      },
    });
    assert.deepEqual(
      unchecked.map(({ id, why }) => `${id}: ${why}`),
      [
        'Topic: a type this check does not look up',
        'Table: its name {"Fn::Sub":"${AWS::StackName}-${Stage}"} is not a literal',
        'Joined: its name {"Fn::Join":["-",["a","b"]]} is not a literal',
      ],
    );
  });

  it('runs on `deploy` only, before the stack is created: never on `package`', () => {
    assert.deepEqual(Object.keys(plugin().instance.hooks), ['before:aws:deploy:deploy:createStack']);
  });

  it('asks nothing on the local stage', async () => {
    const { run, asked } = plugin({ stage: 'local', existing: ['items-api-local-items'] });
    await run();
    assert.deepEqual(asked, []);
  });

  it('asks nothing more when the stack exists: an update keeps its retained resources', async () => {
    const { run, asked } = plugin({ stackExists: true, existing: ['items-api-dev-items'] });
    await run();
    assert.deepEqual(asked, ['stack']);
  });

  it('lets a new stack be created when none of its retained resources exists', async () => {
    const { run, asked } = plugin();
    await run();
    assert.deepEqual(asked, ['stack', 'items-api-dev-items', 'items-api-dev-order-placed-dlq', 'items-api/dev/cursor-secret']);
  });

  it('stops a new stack whose retained resources are still there, naming each one to import or delete', async () => {
    const { run } = plugin({ existing: ['items-api-dev-items', 'items-api/dev/cursor-secret'] });
    await assert.rejects(run(), (/** @type {Error} */ error) => {
      assert.match(error.message, /^Stack items-api-dev does not exist, but 2 resources it retains \(DeletionPolicy Retain\) still exist/);
      assert.match(error.message, /\n {2}- ItemsTable \(AWS::DynamoDB::Table\) items-api-dev-items\n/);
      assert.match(error.message, /\n {2}- CursorSecret \(AWS::SecretsManager::Secret\) items-api\/dev\/cursor-secret\n/);
      assert.doesNotMatch(error.message, /order-placed-dlq/);
      assert.match(error.message, /Import each into the stack .* or delete it/);
      return true;
    });
  });

  it('warns about the retained resources it could not check', async () => {
    const { run, warnings } = plugin({
      template: { Resources: { Alarms: { Type: 'AWS::SNS::Topic', DeletionPolicy: 'Retain', Properties: { TopicName: 'alarms' } } } },
    });
    await run();
    assert.deepEqual(warnings, ['Alarms (AWS::SNS::Topic) is retained, but not checked before the deploy: a type this check does not look up']);
  });

  it('looks up a bucket named from pseudo parameters, in the account deployed to', async () => {
    const template = {
      Resources: {
        ImagesBucket: { Type: 'AWS::S3::Bucket', DeletionPolicy: 'Retain', Properties: { BucketName: { 'Fn::Sub': '${AWS::StackName}-images-${AWS::AccountId}-${AWS::Region}' } } },
      },
    };
    const { run, asked } = plugin({ template, existing: ['items-api-dev-images-123456789012-us-east-1'] });
    await assert.rejects(run(), /- ImagesBucket \(AWS::S3::Bucket\) items-api-dev-images-123456789012-us-east-1\n/);
    assert.deepEqual(asked, ['stack', 'account', 'items-api-dev-images-123456789012-us-east-1']);
  });
});
